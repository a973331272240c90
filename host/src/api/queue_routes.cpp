#include "api/queue_routes.hpp"

#include <boost/json.hpp>

#include <chrono>

#include "api/auth.hpp"
#include "messages/messages.hpp"
#include "state/store.hpp"

namespace patchbay::api {
namespace json = boost::json;

namespace {

constexpr std::size_t text_preview = 80;

kit::http_response answer(unsigned status, std::string body) {
  kit::http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
kit::http_response error(unsigned status, const char* code, const std::string& message) {
  return answer(
      status,
      json::serialize(json::object{{"error", json::object{{"code", code}, {"message", message}}}}));
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The op's message text, cut on a UTF-8 boundary (the payload's reply token is never shown).
std::string preview(const std::string& payload) {
  auto op = messages::outbound_op_from_json(payload, nullptr);
  if (!op) return {};
  std::string t = op->is_edit ? op->edit.text : op->send.text;
  if (t.size() <= text_preview) return t;
  std::size_t n = text_preview;
  while (n > 0 && (static_cast<unsigned char>(t[n]) & 0xC0) == 0x80) --n;
  return t.substr(0, n) + "\xE2\x80\xA6";  // "…"
}

kit::http_response list(state::store& store) {
  const int64_t now = now_ms();
  json::array ops;
  for (const auto& r : store.outbound().rows())
    ops.push_back(json::object{{"id", r.id},
                               {"channel", r.instance},
                               {"turn", r.turn_id},
                               {"kind", state::to_string(r.kind)},
                               {"state", state::to_string(r.state)},
                               {"attempts", r.attempts},
                               {"age_ms", std::max<int64_t>(0, now - r.created_unix_ms)},
                               {"next_attempt_unix_ms", r.next_attempt_unix_ms},
                               {"last_error", r.last_error},
                               {"text", preview(r.payload)}});
  json::object channels;
  for (const auto& [id, f] : queue_stats(store, now))
    channels[id] =
        json::object{{"depth", f.depth}, {"dead", f.dead}, {"oldest_age_ms", f.oldest_age_ms}};
  return answer(200, json::serialize(
                         json::object{{"ops", std::move(ops)}, {"channels", std::move(channels)}}));
}

}  // namespace

std::map<std::string, queue_figures> queue_stats(state::store& store, int64_t now_unix_ms) {
  std::map<std::string, queue_figures> out;
  for (const auto& r : store.outbound().rows()) {
    auto& f = out[r.instance];
    if (r.state == state::outbound_state::dead) {
      ++f.dead;
      continue;
    }
    ++f.depth;
    f.oldest_age_ms = std::max(f.oldest_age_ms, now_unix_ms - r.created_unix_ms);
  }
  return out;
}

void handle_queue(api_context& ctx, const std::shared_ptr<kit::http_exchange>& ex) {
  const auto& req = ex->request();
  if (auto refused = refuse_without_token(ctx, req)) return ex->respond(std::move(*refused));
  if (ctx.store == nullptr) return ex->respond(error(404, "not_found", "no outbound queue"));
  if (req.path == "/v1/queue") {
    if (req.method != "GET") {
      auto r = error(405, "method_not_allowed", "use GET");
      r.headers.emplace_back("Allow", "GET");
      return ex->respond(std::move(r));
    }
    return ex->respond(list(*ctx.store));
  }
  // /v1/queue/<id>/retry | /v1/queue/<id>/drop
  const std::string rest = req.path.substr(std::string("/v1/queue/").size());
  const auto slash = rest.find('/');
  const std::string id_text = rest.substr(0, slash);
  const std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
  int64_t id = 0;
  bool numeric = !id_text.empty() && id_text.size() <= 18 &&
                 id_text.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) id = std::stoll(id_text);
  if (!numeric || (action != "retry" && action != "drop"))
    return ex->respond(error(404, "not_found", "no route for " + req.method + " " + req.path));
  if (req.method != "POST") {
    auto r = error(405, "method_not_allowed", "use POST");
    r.headers.emplace_back("Allow", "POST");
    return ex->respond(std::move(r));
  }
  if (ctx.turns == nullptr) return ex->respond(error(503, "unavailable", "no outbound worker"));
  if (!ctx.store->outbound().row(id))
    return ex->respond(error(404, "not_found", "no queued op " + id_text));
  ctx.turns->queue_action(id, action == "retry", [ex, id, action](const std::string& why) {
    if (!why.empty()) return ex->respond(error(409, "conflict", why));
    ex->respond(answer(200, json::serialize(json::object{{"id", id}, {"action", action}})));
  });
}

}  // namespace patchbay::api
