// family_channel webhook mode: POST /hooks/<channel-id> (docs/protocols/feishu-lark.md §7).
//
//   verify_webhook (size, signature, staleness, decryption, token — webhook.hpp)
//     challenge → 200 {"challenge":"…"} at once (the platform wants it within 1 s)
//     event     → inbound_handler; 200 {"msg":"success"} only once the host made it durable (or
//                 it was a duplicate / deliberately ignored), 503 when the host refused it, so
//                 the platform re-pushes (15 s, 5 min, 1 h, 6 h)
//     reject    → the verdict's 4xx, logged with the reason (never a key, token or the body);
//                 nothing dispatched
// The host gives the plugin 10 s (PB_HTTP_DEADLINE_MS); the platform 3 s: nothing here waits
// for anything but the host's durable write.
#include "feishu_lark/channel/channel_impl.hpp"
#include "feishu_lark/proto/webhook.hpp"

namespace patchbay::plugins::feishu_family {

void family_channel::impl::on_http(const sdk::http_request& req,
                                   const sdk::http_responder& respond) {
  if (cfg_.mode != transport_mode::webhook)
    return respond.respond(404, R"({"error":"this channel receives events over its WebSocket"})");
  if (req.subpath != "" && req.subpath != "/")
    return respond.respond(404, R"({"error":"unknown path"})");
  if (req.method != "POST") return respond.respond(405, R"({"error":"POST only"})");

  const webhook_headers h{req.header("X-Lark-Request-Timestamp"),
                          req.header("X-Lark-Request-Nonce"), req.header("X-Lark-Signature")};
  const int64_t now_s = now_unix_ms() / 1000;
  webhook_verdict v = verify_webhook(cfg_.webhook, h, req.body, now_s);

  if (auto* c = std::get_if<webhook_challenge>(&v)) {
    alive(PB_LIVENESS_EVENT, {});  // a verified request from the platform
    log(PB_LOG_INFO, "webhook url_verification answered");
    return respond.respond(200, c->response_body);
  }
  if (auto* r = std::get_if<webhook_reject>(&v)) {
    log(PB_LOG_WARN, "webhook request from " + std::string(req.remote_address) + " refused (HTTP " +
                         std::to_string(r->status) + ", " + to_string(r->reason) +
                         (r->detail.empty() ? std::string() : ": " + r->detail) + ")");
    return respond.respond(static_cast<uint32_t>(r->status),
                           std::string(R"({"error":")") + to_string(r->reason) + "\"}");
  }
  auto ev = std::get<webhook_event>(std::move(v));
  alive(PB_LIVENESS_EVENT, {});  // verified: the platform reaches us
  strand_.post([self = shared_from_this(), ev = std::move(ev), respond]() mutable {
    if (self->closed_) return respond.respond(503, R"({"error":"channel stopped"})");
    self->inbound_->handle(ev.json, std::move(ev.env), [respond](bool ack) {
      if (ack) return respond.respond(200, R"({"msg":"success"})");
      respond.respond(503, R"({"error":"not stored; deliver again later"})");
    });
  });
}

}  // namespace patchbay::plugins::feishu_family
