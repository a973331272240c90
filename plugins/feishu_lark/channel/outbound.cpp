// family_channel outbound: send (reply to the inbound message, or send to the chat) and edit.
//
// Message type: always `text` ({"text": …}). Text messages render the platform's inline styles
// (**bold**, <i>, <u>, <s>) and take up to 150 KB, and an edit (PUT) must keep the msg_type of
// the message it edits, so one type for placeholder, edits and later parts keeps every edit valid.
// (A `post` with one md element would render full markdown but is capped at 30 KB of body: the
// host's chunking limit — capabilities() — is sized for text.)
//
// Idempotency: uuid = derive_uuid(turn_id + "\n" + text). The host sends every part of a turn
// under the same turn_id, and a retry of a part carries the same text (parts differ by their
// text, `[part k/N]` markers included), so a retry never posts twice while distinct parts do
// not collide. Proactive sends carry the part in the turn_id already. Without a turn id: no uuid.
//
// A streamed answer (PB_SEND_STREAM) with render: card is a CardKit streaming card instead, and
// the edits of such a message go to the card (card_stream.cpp).
//
// A reply whose target is gone (recalled, deleted, unknown id → not_found) falls back to a plain
// send to the chat, as gateways do (docs/protocols/feishu-lark.md §3.4).
#include "feishu_lark/channel/channel_impl.hpp"
#include "feishu_lark/proto/messages_api.hpp"

namespace patchbay::plugins::feishu_family {
namespace {

using result_fn = std::function<void(api_call_result)>;

void complete(std::optional<sdk::completion> c, api_op op, const api_call_result& r,
              const std::string& fallback_id = {}) {
  if (!c) return;
  if (!r.error.ok())
    return c->fail(static_cast<pb_error_code>(r.error.code), r.error.message,
                   std::chrono::milliseconds(r.error.retry_after_ms));
  message_result m = parse_message_response(op, r.http_status, r.body, r.ratelimit_reset);
  if (!m.error.ok())
    return c->fail(static_cast<pb_error_code>(m.error.code), m.error.message,
                   std::chrono::milliseconds(m.error.retry_after_ms));
  const std::string& id = m.message_id.empty() ? fallback_id : m.message_id;
  if (id.empty()) return c->fail(PB_ERR_RETRYABLE, std::string(to_string(op)) + ": no message_id");
  c->succeed(id);
}

}  // namespace

void family_channel::impl::deliver(const outbound_request& r, const outgoing& m,
                                   const std::string& seed, const deliver_done& done) {
  auto self = shared_from_this();
  auto send_to_chat = [self, r, m, seed, done](const std::string& why) {
    const std::string uuid2 = seed.empty() ? std::string() : derive_uuid(seed + "\nchat");
    if (!why.empty())
      self->log(PB_LOG_INFO, "reply target " + r.reply_to + " unusable (" + why +
                                 "); sending to the chat instead");
    api_request req = send_message_request(r.chat_id, detect_receive_id_type(r.chat_id), m, uuid2);
    if (auto e = check_body_size(api_op::send, req, m.msg_type); !e.ok())
      return done(api_op::send, api_call_result{e, 0, {}, {}});
    self->api_->call(api_op::send, std::move(req), r.chat_id,
                     [done](const api_call_result& res) { done(api_op::send, res); });
  };
  if (r.reply_to.empty()) return send_to_chat({});
  const std::string uuid = seed.empty() ? std::string() : derive_uuid(seed);
  api_request req = reply_message_request(r.reply_to, m, false, uuid);
  if (auto e = check_body_size(api_op::reply, req, m.msg_type); !e.ok())
    return done(api_op::reply, api_call_result{e, 0, {}, {}});
  api_->call(api_op::reply, std::move(req), r.chat_id,
             [self, done, send_to_chat, chat = r.chat_id](const api_call_result& res) {
               if (res.error.kind == error_kind::not_found && !chat.empty() && !self->stopping_ &&
                   !self->closed_)
                 return send_to_chat(res.error.message);
               done(api_op::reply, res);
             });
}

// The send prologue of text and media alike: the completion is owed, the channel must be
// running and the message must have a target; then a file goes to send_media (media.cpp).
void family_channel::impl::send(outbound_request r, sdk::completion done) {
  const uint64_t oid = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), r = std::move(r), oid] {
    auto fail = [&](pb_error_code code, const std::string& text) {
      if (auto d = self->owed_.take(oid)) d->fail(code, text);
    };
    if (self->closed_ || self->stopping_) return fail(PB_ERR_RETRYABLE, "channel stopping");
    if (r.chat_id.empty() && r.reply_to.empty())
      return fail(PB_ERR_INVALID_INPUT, "no chat id and no message to reply to");
    if (r.file) return self->send_media(r, oid);
    if (r.text.empty()) return fail(PB_ERR_INVALID_INPUT, "empty text");
    if (r.stream && self->cfg_.render == render_mode::card) return self->send_card(r, oid);
    const std::string seed = r.turn_id.empty() ? std::string() : r.turn_id + "\n" + r.text;
    self->deliver(
        r, text_message(r.text), seed,
        [self, oid](api_op op, const api_call_result& res) { self->settle_send(oid, op, res); });
  });
}

void family_channel::impl::settle_send(uint64_t oid, api_op op, const api_call_result& res) {
  if (!res.error.ok())
    log(PB_LOG_WARN, std::string(to_string(op)) + " failed: " + res.error.message);
  complete(owed_.take(oid), op, res);
  check_stopped();
}

void family_channel::impl::edit(outbound_request r, sdk::completion done) {
  const uint64_t oid = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), r = std::move(r), oid] {
    auto fail = [&](pb_error_code code, const std::string& text) {
      if (auto d = self->owed_.take(oid)) d->fail(code, text);
    };
    if (self->closed_ || self->stopping_) return fail(PB_ERR_RETRYABLE, "channel stopping");
    if (r.message_id.empty()) return fail(PB_ERR_INVALID_INPUT, "no message id to edit");
    if (r.text.empty()) return fail(PB_ERR_INVALID_INPUT, "empty text");
    if (auto card = self->cards_.get(r.message_id)) return self->edit_card(*card, r, oid);
    if (self->card_after_restart(r, oid)) return;
    const outgoing m = text_message(r.text);
    auto req = edit_message_request(r.message_id, m);
    if (!req) return fail(PB_ERR_UNSUPPORTED, "only text and post messages can be edited");
    if (auto e = check_body_size(api_op::edit, *req, m.msg_type); !e.ok())
      return fail(static_cast<pb_error_code>(e.code), e.message);
    self->api_->call(api_op::edit, std::move(*req), r.chat_id,
                     [self, oid, id = r.message_id](const api_call_result& res) {
                       // 230072 (the 20-edit cap) and the other edit refusals arrive classified
                       // PB_ERR_UNSUPPORTED: the host then sends new messages instead.
                       if (!res.error.ok())
                         self->log(PB_LOG_WARN, "edit of " + id + " failed: " + res.error.message);
                       complete(self->owed_.take(oid), api_op::edit, res, id);
                       self->check_stopped();
                     });
  });
}

}  // namespace patchbay::plugins::feishu_family
