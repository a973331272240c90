#include "api/routes.hpp"

#include <boost/json.hpp>

#include "api/health.hpp"
#include "api/metrics.hpp"
#include "api/proactive_send.hpp"
#include "plugin/channel_instance.hpp"

namespace patchbay::api {
namespace {

kit::http_response json_response(unsigned status, const boost::json::object& body) {
  kit::http_response r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

kit::http_response error_response(unsigned status, const std::string& code,
                                  const std::string& message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

bool bearer_authorized(const std::vector<std::string>& tokens, std::string_view authorization) {
  constexpr std::string_view prefix = "Bearer ";
  if (authorization.substr(0, prefix.size()) != prefix) return false;
  auto presented = authorization.substr(prefix.size());
  bool ok = false;
  for (const auto& t : tokens) ok |= !t.empty() && equal_constant_time(presented, t);
  return ok;
}

kit::http_response handle_api_request(api_context& ctx, const kit::http_request& req) {
  const std::string& path = req.path;
  bool get = req.method == "GET" || req.method == "HEAD";
  if (path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/v1/channels") {
    if (!get) {
      auto r = error_response(405, "method_not_allowed", "use GET");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
  }
  if (path == "/healthz") return json_response(200, {{"status", "ok"}});
  if (path == "/healthz/channels")
    return channel_health_response(ctx.registry, ctx.channel_grace, req);
  if (path == "/readyz") {
    std::string why;
    if (ctx.registry.ready(&why)) return json_response(200, {{"ready", true}});
    return json_response(503, {{"ready", false}, {"reason", why}});
  }
  if (path == "/metrics") return metrics_response(ctx);
  if (path.rfind("/v1/", 0) == 0) {
    if (!ctx.api_tokens.empty() &&
        !bearer_authorized(ctx.api_tokens, req.header("Authorization"))) {
      auto r = error_response(401, "unauthorized", "missing or invalid bearer token");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    if (path == "/v1/channels") {
      kit::http_response r;
      r.body = ctx.registry.to_json();
      return r;
    }
  }
  return error_response(404, "not_found", "no route for " + req.method + " " + path);
}

kit::http_handler make_api_handler(api_context& ctx) {
  return [&ctx](std::shared_ptr<kit::http_exchange> ex) {
    const auto& req = ex->request();
    if (req.path.rfind("/hooks/", 0) == 0 && ctx.channels != nullptr) return handle_hook(ctx, ex);
    if (req.path == "/v1/messages" && ctx.channels != nullptr && ctx.rt != nullptr &&
        ctx.store != nullptr) {
      if (req.method != "POST") {
        auto r = error_response(405, "method_not_allowed", "use POST");
        r.headers.emplace_back("Allow", "POST");
        return ex->respond(std::move(r));
      }
      return handle_messages(ctx, std::move(ex));
    }
    if (req.path == "/v1/chat" && ctx.turns != nullptr) {
      if (req.method != "POST") {
        auto r = error_response(405, "method_not_allowed", "use POST");
        r.headers.emplace_back("Allow", "POST");
        return ex->respond(std::move(r));
      }
      return handle_chat(ctx, std::move(ex));
    }
    ex->respond(handle_api_request(ctx, req));
  };
}

void handle_messages(api_context& ctx, std::shared_ptr<kit::http_exchange> ex) {
  const auto& req = ex->request();
  if (!ctx.api_tokens.empty() && !bearer_authorized(ctx.api_tokens, req.header("Authorization"))) {
    auto r = error_response(401, "unauthorized", "missing or invalid bearer token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return ex->respond(std::move(r));
  }
  std::string err;
  auto send = parse_proactive_request(req.body, err);
  if (!send) return ex->respond(error_response(400, "invalid_request", err));
  start_proactive_send(*ctx.rt, *ctx.channels, *ctx.store, std::move(*send), std::move(ex));
}

void handle_hook(api_context& ctx, const std::shared_ptr<kit::http_exchange>& ex) {
  const auto& req = ex->request();
  std::string_view rest = std::string_view(req.path).substr(std::string_view("/hooks/").size());
  std::string id(rest.substr(0, rest.find('/')));
  std::string subpath(rest.substr(id.size()));
  auto inst = id.empty() ? nullptr : ctx.channels->find(id);
  if (!inst) return ex->respond(error_response(404, "not_found", "no channel takes /hooks/" + id));
  kit::http_request copy = req;
  copy.path = std::move(subpath);
  inst->http(std::move(copy), [ex](kit::http_response r) { ex->respond(std::move(r)); });
}

void handle_chat(api_context& ctx, std::shared_ptr<kit::http_exchange> ex) {
  const auto& req = ex->request();
  if (!ctx.api_tokens.empty() && !bearer_authorized(ctx.api_tokens, req.header("Authorization"))) {
    auto r = error_response(401, "unauthorized", "missing or invalid bearer token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return ex->respond(std::move(r));
  }
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(req.body, ec);
  auto bad = [&](const std::string& msg) {
    ex->respond(error_response(400, "invalid_request", msg));
  };
  if (ec || !v.is_object()) return bad("body must be a JSON object: {\"text\": \"...\"}");
  const auto& o = v.get_object();
  turns::chat_request chat;
  for (const auto& [key, val] : o) {
    if (!val.is_string()) return bad(std::string("`").append(key).append("` must be a string"));
    std::string s(val.get_string());
    if (key == "text")
      chat.text = std::move(s);
    else if (key == "thread")
      chat.thread = std::move(s);
    else if (key == "agent")
      chat.agent = std::move(s);
    else
      return bad("unknown field `" + std::string(key) + "` (expected text, thread, agent)");
  }
  if (chat.text.empty()) return bad("`text` is required and must not be empty");
  if (chat.text.size() > std::size_t{64} * 1024) return bad("`text` exceeds 64 KiB");
  if (chat.thread.size() > 256) return bad("`thread` exceeds 256 bytes");
  if (std::string err = ctx.turns->check_agent(chat.agent); !err.empty()) return bad(err);
  ctx.turns->start_chat(std::move(chat), ex);
}

}  // namespace patchbay::api
