#include "api/routes.hpp"

#include <boost/json.hpp>

#include "access/gate.hpp"
#include "api/auth.hpp"
#include "api/health.hpp"
#include "api/media_route.hpp"
#include "api/metrics.hpp"
#include "api/pairing_routes.hpp"
#include "api/proactive_send.hpp"
#include "api/queue_routes.hpp"
#include "api/reload_route.hpp"
#include "api/status_page/status_page.hpp"
#include "api/turn_responses_route.hpp"
#include "plugin/channel_instance.hpp"
#include "state/store.hpp"

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

// Seconds a platform is asked to wait before retrying a callback for a channel that is not running.
constexpr const char* hook_retry_after = "5";

}  // namespace

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
  // A degraded state store (its database unreachable: writes wait for the reconnect) shows on
  // both; the process keeps serving what it can, so neither turns into an error for it.
  const std::string store_problem = ctx.store != nullptr ? ctx.store->problem() : "";
  if (path == "/healthz") {
    if (store_problem.empty()) return json_response(200, {{"status", "ok"}});
    return json_response(200,
                         {{"status", "degraded"}, {"reason", "state store: " + store_problem}});
  }
  if (path == "/healthz/channels")
    return channel_health_response(ctx.registry, ctx.channel_grace, req);
  if (path == "/readyz") {
    std::string why;
    const bool ready = ctx.registry.ready(&why);
    boost::json::object body{{"ready", ready}};
    if (!ready) body["reason"] = why;
    if (!store_problem.empty()) {
      body["status"] = "degraded";
      body["state_store"] = store_problem;
    }
    return json_response(ready ? 200 : 503, body);
  }
  // (The server's screen refused these already; checked again for callers without it.)
  if (auto refused = refuse_without_token(ctx, req)) return std::move(*refused);
  if (path == "/metrics") return metrics_response(ctx);
  if (auto page = status_page_response(req)) return *page;  // /status: no token, no secret
  if (path.rfind("/v1/", 0) == 0) {
    if (auto r = pairing_response(ctx.access ? &ctx.access->pairings() : nullptr, req)) return *r;
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
    if (req.path == "/v1/reload" && ctx.reload) return handle_reload(ctx, std::move(ex));
    if (is_turn_responses_path(req.path))
      return ex->respond(turn_responses_response(ctx.callbacks, req));
    if (req.path.rfind("/v1/media/", 0) == 0 && ctx.media != nullptr) return handle_media(ctx, ex);
    if (req.path == "/v1/queue" || req.path.rfind("/v1/queue/", 0) == 0)
      return handle_queue(ctx, ex);
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
  if (auto refused = refuse_without_token(ctx, req)) return ex->respond(std::move(*refused));
  std::string err;
  auto send = parse_proactive_request(req.body, err);
  if (!send) return ex->respond(error_response(400, "invalid_request", err));
  if (auto refused = refuse_by_access(ctx.access, *send)) return ex->respond(std::move(*refused));
  start_proactive_send(*ctx.rt, *ctx.channels, *ctx.store, std::move(*send), std::move(ex),
                       ctx.media_out);
}

void handle_hook(api_context& ctx, const std::shared_ptr<kit::http_exchange>& ex) {
  const auto& req = ex->request();
  std::string_view rest = std::string_view(req.path).substr(std::string_view("/hooks/").size());
  std::string id(rest.substr(0, rest.find('/')));
  std::string subpath(rest.substr(id.size()));
  auto inst = id.empty() ? nullptr : ctx.channels->find(id);
  // Counted per configured channel only (an id from a URL makes no label).
  auto counters = ctx.metrics != nullptr && !id.empty() ? ctx.metrics->find_channel(id) : nullptr;
  if (!inst) {
    if (id.empty() || !ctx.channels->expected(id))
      return ex->respond(error_response(404, "not_found", "no channel takes /hooks/" + id));
    if (counters) counters->hook_answer(503);
    // Configured but not running (starting, failed, stopping): the platform should retry.
    auto r = error_response(503, "channel_not_running", "channel " + id + " is not running");
    r.headers.emplace_back("Retry-After", hook_retry_after);
    return ex->respond(std::move(r));
  }
  kit::http_request copy = req;
  copy.path = std::move(subpath);
  inst->http(std::move(copy), [ex, counters](kit::http_response r) {
    // A 503 (the channel is not running, or stopped before answering) says when to come back.
    if (r.status == 503 && kit::find_header(r.headers, "Retry-After").empty())
      r.headers.emplace_back("Retry-After", hook_retry_after);
    if (counters) counters->hook_answer(r.status);
    ex->respond(std::move(r));
  });
}

void handle_chat(api_context& ctx, std::shared_ptr<kit::http_exchange> ex) {
  const auto& req = ex->request();
  if (auto refused = refuse_without_token(ctx, req)) return ex->respond(std::move(*refused));
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
