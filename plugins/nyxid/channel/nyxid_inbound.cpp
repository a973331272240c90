// nyxid_channel inbound: POST /hooks/<channel-id> (docs/protocols/nyxid-relay.md §1).
//
//   X-NyxID-Timestamp (≤ 5 min old) → verify_callback (§1.3, every check in order; an unknown
//   kid or missing keys waits for one key fetch — at most one per 10 s — then is judged again)
//     failure        → 401 {"error":"unauthorized"}, logged with the fixed reason (never the
//                      token, the body or a key); nothing dispatched
//     authentic, not JSON / fields missing → 400
//     a card_action (a button click)       → 202 {"status":"ignored"}
//     empty text or unsupported content    → a message with empty text (the host answers it)
//     message        → emit_inbound; 202 {"status":"accepted"} once the host answered ACCEPTED or
//                      DUPLICATE, 503 when it REFUSED (nothing is acknowledged that is not durable)
// The host answers 504 itself after 10 s; key fetches are bounded well below that.
#include "nyxid/proto/callback_body.hpp"
#include "nyxid/proto/callback_timestamp.hpp"
#include "nyxid/proto/platform_caps.hpp"
#include "nyxid_channel.hpp"
#include "reply_plan.hpp"

namespace patchbay::plugins::nyxid {
namespace {

constexpr std::string_view unauthorized = R"({"error":"unauthorized"})";

bool waits_for_keys(callback_reject r) {
  return r == callback_reject::unknown_kid || r == callback_reject::keys_unavailable;
}

}  // namespace

void nyxid_channel::on_http(const sdk::http_request& req, sdk::http_responder respond) {
  if (req.subpath != "" && req.subpath != "/")
    return respond.respond(404, R"({"error":"unknown path"})");
  if (req.method != "POST") return respond.respond(405, R"({"error":"POST only"})");
  pending_callback cb{std::string(req.header("X-NyxID-Callback-Token")),
                      std::string(req.header("X-NyxID-Message-Id")),
                      std::string(req.header("X-NyxID-Timestamp")),
                      std::string(req.body),
                      std::string(req.remote_address),
                      std::move(respond),
                      false};
  strand_.post([self = shared_from_this(), cb = std::move(cb)]() mutable {
    self->handle_callback(std::move(cb));
  });
}

void nyxid_channel::handle_callback(pending_callback cb) {
  if (closed_ || stopping_) return cb.respond.respond(503, R"({"error":"channel stopping"})");
  const int64_t now = now_unix_ms();
  const timestamp_policy ts_policy{cfg_.require_timestamp, cfg_.timestamp_max_age_ms, 60'000};
  if (auto ts = check_callback_timestamp(cb.timestamp, now, ts_policy); ts != timestamp_check::ok) {
    log(PB_LOG_WARN, "callback from " + cb.remote + " refused (401, " + to_string(ts) + ")");
    return cb.respond.respond(401, unauthorized);
  }
  const callback_verdict v =
      verify_callback({cb.token, cb.message_id, cb.body}, verify_cfg_, jwks_, replay_, now);
  if (v.ok()) {
    alive(PB_LIVENESS_EVENT);  // a callback NyxID signed: the relay reaches us
    return emit(cb);
  }
  if (!cb.after_refetch && waits_for_keys(v.reason) && (v.refetch_jwks || keys_fetching_)) {
    if (pending_.size() >= cfg_.pending_callbacks) {
      log(PB_LOG_WARN, "callback from " + cb.remote +
                           " refused (503): too many callbacks waiting for signing keys");
      return cb.respond.respond(503, R"({"error":"busy"})");
    }
    cb.after_refetch = true;
    pending_.push_back(std::move(cb));
    if (!keys_fetching_) refresh_keys(to_string(v.reason));
    return;
  }
  log(PB_LOG_WARN, "callback from " + cb.remote + " refused (" + std::to_string(v.http_status()) +
                       ", " + to_string(v.reason) + ")");
  if (v.verdict == callback_verdict::status::bad_request)
    return cb.respond.respond(400, R"({"error":"bad request"})");
  cb.respond.respond(401, unauthorized);
}

void nyxid_channel::drain_pending() {
  std::deque<pending_callback> waiting;
  waiting.swap(pending_);
  for (auto& cb : waiting) handle_callback(std::move(cb));
}

void nyxid_channel::emit(const pending_callback& cb) {
  callback_body_options opts;
  opts.trust_route_private = cfg_.trust_route_private;
  callback_inbound in = parse_callback_body(cb.body, opts);
  if (in.result == callback_inbound::status::malformed) {
    log(PB_LOG_WARN, "callback from " + cb.remote + " refused (400, " + in.reason + ")");
    return cb.respond.respond(400, R"({"error":"malformed callback"})");
  }
  if (in.result == callback_inbound::status::ignored) {
    log(PB_LOG_INFO, "message " + in.message_id + " (" + in.platform + ") ignored: " + in.reason);
    return cb.respond.respond(202, R"({"status":"ignored"})");
  }
  const relay_platform platform = parse_platform(in.platform);
  const pb_capabilities caps = platform_capabilities(platform);
  const std::string context = encode_reply_context({in.message_id, in.reply_token, in.platform});
  // Discord's thread_id carries an interaction token: not an id the host should keep.
  const std::string thread =
      in.thread_id.rfind("interaction:", 0) == 0 ? std::string() : in.thread_id;

  pb_inbound_message msg{};
  msg.event_id = sdk::str(in.message_id);
  msg.conversation_id = sdk::str(in.chat_id);
  msg.conversation_kind = in.kind == chat_kind::dm ? PB_CONVERSATION_DIRECT : PB_CONVERSATION_GROUP;
  msg.thread_id = sdk::str(thread);
  msg.message_id = sdk::str(in.message_id);
  msg.sender_id = sdk::str(in.sender_id);
  msg.sender_name = sdk::str(in.sender_name);
  msg.text = sdk::str(in.text);
  msg.reply_context = sdk::str(context);
  msg.sent_at_unix_ms = parse_rfc3339_ms(in.timestamp).value_or(0);
  msg.capabilities = &caps;
  // content.attachments[] (§1.4): the relay's url is handed back to fetch_attachment.
  std::vector<pb_attachment> atts(in.attachments.size());
  std::vector<const pb_attachment*> att_ptrs;
  for (std::size_t i = 0; i < atts.size(); ++i) {
    const relay_attachment& a = in.attachments[i];
    atts[i] =
        pb_attachment{sizeof(pb_attachment), sdk::str(a.kind), sdk::str(a.id), sdk::str(a.name),
                      sdk::str(a.mime_type), a.size,           sdk::str(a.url)};
    att_ptrs.push_back(&atts[i]);
  }
  msg.attachments = att_ptrs.data();
  msg.attachment_count = static_cast<uint32_t>(att_ptrs.size());

  bool emitted = false;
  const std::string id = in.message_id;
  std::weak_ptr<nyxid_channel> w = weak_from_this();
  sdk::http_responder respond = cb.respond;
  host_->with([&](const sdk::host& h) {
    h.emit_inbound(msg, [w, id, respond](pb_inbound_disposition d, const pb_error* e) {
      if (d == PB_INBOUND_ACCEPTED || d == PB_INBOUND_DUPLICATE)
        return respond.respond(202, R"({"status":"accepted"})");
      const std::string why = e ? std::string(sdk::view(e->message)) : std::string("refused");
      // The host's overload is logged by the host, once per interval: not a warning per message.
      const bool overload = e != nullptr && e->code == PB_ERR_RATE_LIMITED;
      respond.respond(503, R"({"error":"not stored"})");
      if (auto self = w.lock())
        self->strand_.post([self, id, why, overload] {
          self->log(overload ? PB_LOG_DEBUG : PB_LOG_WARN,
                    "host refused message " + id + " (" + why + "): 503");
        });
    });
    emitted = true;
  });
  if (!emitted) return respond.respond(503, R"({"error":"channel stopped"})");
  log(PB_LOG_DEBUG, "message " + id + " from " + in.platform + " (" + to_string(in.kind) +
                        ") handed to the host");
}

}  // namespace patchbay::plugins::nyxid
