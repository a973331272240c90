// family_channel: a streamed answer (PB_SEND_STREAM) as a CardKit streaming card, with render:
// card (docs/protocols/feishu-lark.md §3.8).
//
//   send    create the card entity (streaming mode on, one markdown element with the first text),
//           then send it as an `interactive` message (reply, or to the chat) referencing the
//           card_id; the host gets the IM message id. A card whose send failed is closed (best
//           effort: it is normally never shown), so no card stays open and empty.
//   edit    the element's full text (PUT …/content) when it changed; `sequence` strictly
//           increasing per card, `uuid` derived from card and sequence. Paced by the api client's
//           rate limiter with a bucket of the card's own ("card:<id>", the chat parameters: 4/s
//           by default, under the platform's 10 updates/s per card) plus the app's 50/s, 1000/min.
//           One update in flight per card; edits arriving meanwhile are coalesced.
//   final   (PB_EDIT_FINAL) a last content update if the text changed, then streaming mode off
//           with a summary (PATCH …/settings) — always, even when the text did not change.
//   300317  (a sequence conflict) the sequence jumps ahead and the update is tried once more.
//   terminal  200850 / 300309 (streaming ended), 230031 / 230011 and the other "can no longer be
//           updated" answers: the card is closed (best effort) and the edit fails
//           PB_ERR_UNSUPPORTED, which the host answers by sending what the card does not show
//           yet as a text message (once). So does a text past what a card takes.
// Cards are remembered per IM message id in an LRU of `card_states`, and durably (the host's
// key-value store, "card/<message id>" → card id, until the card is closed): after a restart an
// edit of such a card (the host's recovery notice, a replayed edit) closes it with a sequence
// above any the card can have had and fails PB_ERR_UNSUPPORTED, so the host sends its notice as
// text. A card whose final edit never comes at all is closed by the platform itself 10 minutes
// after streaming began.
#include "feishu_lark/channel/channel_impl.hpp"
#include "feishu_lark/proto/cardkit.hpp"

namespace patchbay::plugins::feishu_family {
namespace {

// How far the sequence jumps after a conflict (an update of ours the platform applied though
// its answer was lost, or another writer): far enough to pass it, once.
constexpr int64_t sequence_resync = 100;
// The card's markdown beyond this many bytes is not attempted (a card's body is capped at 30 KB,
// §5): the rest of the answer is completed as text by the host.
constexpr std::size_t card_text_limit = std::size_t{28} * 1024;
// The sequence of a close after a restart: above any a card can have reached in its streaming
// life (10 minutes at most 10 updates/s), below 2^31.
constexpr int64_t restart_sequence = 1'000'000;

std::string card_key(std::string_view message_id) { return "card/" + std::string(message_id); }

api_error card_answer_error(const api_call_result& res) {
  if (!res.error.ok()) return res.error;
  return parse_card_update_response(res.http_status, res.body, res.ratelimit_reset);
}

bool cannot_update(const api_error& e) {
  return e.kind == error_kind::stream_closed || e.code == PB_ERR_UNSUPPORTED ||
         e.code == PB_ERR_NOT_FOUND;
}

}  // namespace

void family_channel::impl::send_card(const outbound_request& r, uint64_t oid) {
  auto self = shared_from_this();
  auto fail = [self, oid](const api_error& e) {
    self->log(PB_LOG_WARN, "streaming card not sent: " + e.message);
    if (auto d = self->owed_.take(oid))
      d->fail(static_cast<pb_error_code>(e.code), e.message,
              std::chrono::milliseconds(e.retry_after_ms));
    self->check_stopped();
  };
  if (r.text.size() > card_text_limit) {
    api_error e;
    e.code = PB_ERR_INVALID_INPUT;
    e.message = "text too long for a streaming card";
    return fail(e);
  }
  api_request req = create_card_request(streaming_card_json(r.text, card_api::answer_element));
  api_->call(api_op::card, std::move(req), {}, [self, r, oid, fail](const api_call_result& res) {
    card_create_result cr =
        res.error.ok() ? parse_card_create_response(res.http_status, res.body, res.ratelimit_reset)
                       : card_create_result{res.error, {}};
    if (!cr.error.ok()) return fail(cr.error);
    auto c = std::make_shared<card_stream>();
    c->card_id = cr.card_id;
    c->element_id = std::string(card_api::answer_element);
    c->shown = r.text;
    const std::string seed = r.turn_id.empty() ? std::string() : r.turn_id + "\ncard\n" + r.text;
    self->deliver(r, card_entity_message(c->card_id), seed,
                  [self, c, oid, fail](api_op op, const api_call_result& sent) {
                    message_result m = sent.error.ok()
                                           ? parse_message_response(op, sent.http_status, sent.body,
                                                                    sent.ratelimit_reset)
                                           : message_result{sent.error, {}, {}};
                    if (!m.error.ok()) {
                      // Normally never shown; closed anyway in case the send did arrive.
                      self->close_card(c, card_summary(c->shown), true, [](const api_error&) {});
                      return fail(m.error);
                    }
                    // A retried send the platform deduplicated (uuid) answers with the first
                    // message: its card stays the one remembered (this one was never shown).
                    if (!self->cards_.get(m.message_id)) {
                      c->message_id = m.message_id;
                      std::optional<std::string> first;
                      self->host_->with([&](const sdk::host& h) {
                        first = h.kv_get(card_key(m.message_id));
                        if (!first) h.kv_set(card_key(m.message_id), c->card_id);
                      });
                      if (first && !first->empty() && *first != c->card_id) {
                        // Sent before a restart: the message shows that card; go on with it
                        // (its text and sequence are unknown: both resynced from here).
                        c->card_id = *first;
                        c->sequence = restart_sequence;
                        c->shown.clear();
                      }
                      self->cards_.put(m.message_id, c);
                    }
                    if (auto d = self->owed_.take(oid)) d->succeed(m.message_id);
                    self->check_stopped();
                  });
  });
}

void family_channel::impl::edit_card(const std::shared_ptr<card_stream>& c, outbound_request r,
                                     uint64_t oid) {
  if (c->closed) {
    if (auto d = owed_.take(oid)) d->fail(PB_ERR_UNSUPPORTED, "the streaming card is closed");
    return;
  }
  if (!c->waiting) c->waiting.emplace();
  c->waiting->text = std::move(r.text);  // the newest full text supersedes a waiting one
  c->waiting->final = c->waiting->final || r.final;
  c->waiting->owed.push_back(oid);
  run_card(c);
}

void family_channel::impl::run_card(const std::shared_ptr<card_stream>& c) {
  if (c->busy || !c->waiting) return;
  pending_card_edit w = std::move(*c->waiting);
  c->waiting.reset();
  c->busy = true;
  auto self = shared_from_this();
  auto finish = [self, c, owed = w.owed](const api_error& e) {
    c->busy = false;
    self->settle_card(owed, e, c->message_id);
    if (c->closed && c->waiting) {
      self->settle_card(c->waiting->owed,
                        api_error{PB_ERR_UNSUPPORTED, error_kind::stream_closed, 0, 0, 0,
                                  "the streaming card is closed"},
                        c->message_id);
      c->waiting.reset();
    }
    self->run_card(c);
    self->check_stopped();
  };
  // A refusal meaning "no more updates": close the card (best effort), then tell the host.
  auto terminal = [self, c, finish](const api_error& e) {
    self->log(PB_LOG_WARN, "streaming card " + c->card_id + " ended: " + e.message +
                               "; the host completes the answer as text");
    c->closed = true;
    self->forget_card(c);
    self->close_card(c, card_summary(c->shown), true, [finish, e](const api_error&) {
      api_error u = e;
      u.code = PB_ERR_UNSUPPORTED;  // the agreed "can no longer be updated"
      finish(u);
    });
  };
  auto after_content = [self, c, finish, terminal, final = w.final,
                        text = w.text](const api_error& e) {
    if (!e.ok()) return cannot_update(e) ? terminal(e) : finish(e);
    if (!final) return finish(e);
    self->close_card(c, card_summary(text), false, [self, c, finish](const api_error& ce) {
      // Closed by the platform already, or gone: the text stands, nothing more to do.
      if (ce.ok() || cannot_update(ce)) {
        c->closed = true;
        self->forget_card(c);
        return finish(api_error{});
      }
      finish(ce);  // the host tries the final edit again (then only the close is left)
    });
  };
  if (w.text.size() > card_text_limit) {
    api_error e;
    e.kind = error_kind::message_too_long;
    e.message = "the answer outgrew a streaming card";
    return terminal(e);
  }
  if (w.text == c->shown) return after_content(api_error{});
  put_card_content(c, w.text, false, after_content);
}

void family_channel::impl::put_card_content(const std::shared_ptr<card_stream>& c,
                                            const std::string& text, bool retried,
                                            std::function<void(api_error)> done) {
  const int64_t seq = ++c->sequence;
  api_request req = card_content_request(c->card_id, c->element_id, text, seq,
                                         derive_uuid(c->card_id + "\n" + std::to_string(seq)));
  api_->call(api_op::card, std::move(req), "card:" + c->card_id,
             [self = shared_from_this(), c, text, retried,
              done = std::move(done)](const api_call_result& res) {
               api_error e = card_answer_error(res);
               if (e.ok()) c->shown = text;
               if (e.kind == error_kind::sequence_conflict && !retried) {
                 c->sequence += sequence_resync;
                 return self->put_card_content(c, text, true, done);
               }
               done(e);
             });
}

void family_channel::impl::close_card(const std::shared_ptr<card_stream>& c,
                                      const std::string& summary, bool retried,
                                      std::function<void(api_error)> done) {
  const int64_t seq = ++c->sequence;
  api_request req = close_card_request(c->card_id, summary, seq,
                                       derive_uuid(c->card_id + "\n" + std::to_string(seq)));
  api_->call(api_op::card, std::move(req), "card:" + c->card_id,
             [self = shared_from_this(), c, summary, retried,
              done = std::move(done)](const api_call_result& res) {
               api_error e = card_answer_error(res);
               if (e.kind == error_kind::sequence_conflict && !retried) {
                 c->sequence += sequence_resync;
                 return self->close_card(c, summary, true, done);
               }
               if (!e.ok())
                 self->log(PB_LOG_WARN, "closing streaming card " + c->card_id + ": " + e.message);
               done(e);
             });
}

bool family_channel::impl::card_after_restart(const outbound_request& r, uint64_t oid) {
  std::optional<std::string> card_id;
  host_->with([&](const sdk::host& h) { card_id = h.kv_get(card_key(r.message_id)); });
  if (!card_id || card_id->empty()) return false;
  auto c = std::make_shared<card_stream>();
  c->message_id = r.message_id;
  c->card_id = *card_id;
  c->element_id = std::string(card_api::answer_element);
  c->sequence = restart_sequence;
  c->closed = true;
  cards_.put(r.message_id, c);  // later edits of it fail at once
  forget_card(c);
  log(PB_LOG_INFO, "streaming card " + c->card_id + " of message " + r.message_id +
                       " is from before a restart: closed; the host completes as text");
  close_card(c, card_summary(r.text), true, [self = shared_from_this(), oid](const api_error&) {
    if (auto d = self->owed_.take(oid))
      d->fail(PB_ERR_UNSUPPORTED, "the streaming card is from before a restart");
    self->check_stopped();
  });
  return true;
}

void family_channel::impl::forget_card(const std::shared_ptr<card_stream>& c) {
  if (c->message_id.empty()) return;
  host_->with([&](const sdk::host& h) { h.kv_delete(card_key(c->message_id)); });
}

void family_channel::impl::settle_card(const std::vector<uint64_t>& owed, const api_error& e,
                                       const std::string& message_id) {
  for (uint64_t id : owed) {
    auto d = owed_.take(id);
    if (!d) continue;
    if (e.ok())
      d->succeed(message_id);
    else
      d->fail(static_cast<pb_error_code>(e.code), e.message,
              std::chrono::milliseconds(e.retry_after_ms));
  }
}

}  // namespace patchbay::plugins::feishu_family
