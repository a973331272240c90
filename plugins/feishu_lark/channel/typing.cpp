// family_channel typing: Feishu/Lark has no typing API, so the channel shows a "Typing" reaction
// on the user's message while the host says a turn runs (docs/protocols/feishu-lark.md §3.10).
//
//   START  add the reaction (POST) and keep its reaction_id, keyed by the message (bounded LRU);
//          START again for the same message (the host's refresh) is a no-op
//   STOP   remove it (DELETE); a STOP for a message whose add is still out removes it once the
//          add answers; a STOP for a message without a known reaction succeeds at once
//
// The reaction id is also kept in the instance store (`typing:<message_id>`, written when added,
// deleted when removed): after a crash, the turn the host runs again finds the old reaction there
// at START (no second reaction is added) and its STOP removes it.
//
// After 99991400 / HTTP 429 (rate limited), 99991403 (quota) or a permission refusal the channel
// adds no reaction for `typing_pause` (5 min): STARTs then succeed without a call. The failure
// itself goes to the host (which also backs off). `typing_reaction: false` in the channel config
// turns it off (every call succeeds, nothing is sent).
#include "feishu_lark/channel/channel_impl.hpp"
#include "feishu_lark/proto/reactions_api.hpp"

namespace patchbay::plugins::feishu_family {
namespace {

bool pauses_typing(const api_error& e) {
  return e.kind == error_kind::rate_limited || e.kind == error_kind::quota_exceeded ||
         e.kind == error_kind::permission || e.http_status == 429;
}

}  // namespace

void family_channel::impl::typing(typing_request r, sdk::completion done) {
  const uint64_t oid = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), r = std::move(r), oid] {
    auto finish = [&](pb_error_code code, const std::string& text) {
      if (auto d = self->owed_.take(oid)) {
        if (code == PB_OK) return d->succeed();
        d->fail(code, text);
      }
    };
    if (self->closed_) return finish(PB_ERR_RETRYABLE, "channel stopped");
    if (!self->cfg_.typing_reaction) return finish(PB_OK, {});
    if (r.message_id.empty()) return finish(PB_ERR_INVALID_INPUT, "no message to react to");
    if (r.stop) return self->typing_stop(r.message_id, oid);
    if (self->stopping_) return finish(PB_ERR_RETRYABLE, "channel stopping");
    if (self->typing_reactions_.get(r.message_id) != nullptr) return finish(PB_OK, {});  // refresh
    if (std::string old = self->stored_reaction(r.message_id); !old.empty()) {
      // Left by a previous run of this channel (a crash): it is the reaction STOP removes.
      self->typing_reactions_.put(r.message_id, typing_reaction{old, false, false});
      return finish(PB_OK, {});
    }
    if (self->monotonic_ms() < self->typing_paused_until_) return finish(PB_OK, {});
    self->typing_reactions_.put(r.message_id, typing_reaction{{}, true, false});
    self->api_->call(
        api_op::other, add_reaction_request(r.message_id, typing_emoji), {},
        [self, oid, msg = r.message_id](const api_call_result& res) {
          reaction_result rr =
              res.error.ok()
                  ? parse_reaction_response(true, res.http_status, res.body, res.ratelimit_reset)
                  : reaction_result{res.error, {}};
          const typing_reaction* known = self->typing_reactions_.get(msg);
          const bool stop_wanted = known != nullptr && known->stop_wanted;
          if (!rr.error.ok()) {
            self->typing_reactions_.erase(msg);
            if (pauses_typing(rr.error)) {
              self->typing_paused_until_ = self->monotonic_ms() + self->typing_pause.count();
              self->log(PB_LOG_DEBUG, "typing reaction refused (" + rr.error.message +
                                          "); no typing reaction for 5 min");
            }
            if (auto d = self->owed_.take(oid))
              d->fail(static_cast<pb_error_code>(rr.error.code), rr.error.message,
                      std::chrono::milliseconds(rr.error.retry_after_ms));
            return self->check_stopped();
          }
          self->typing_reactions_.put(msg, typing_reaction{rr.reaction_id, false, false});
          self->store_reaction(msg, rr.reaction_id);
          if (auto d = self->owed_.take(oid)) d->succeed();
          if (stop_wanted) self->typing_stop(msg, 0);
          self->check_stopped();
        });
  });
}

// On the strand. `oid` 0: nobody waits for the outcome (a STOP that came while the add was out).
void family_channel::impl::typing_stop(const std::string& message_id, uint64_t oid) {
  auto finish = [&](pb_error_code code, const std::string& text) {
    if (oid == 0) return;
    if (auto d = owed_.take(oid)) {
      if (code == PB_OK) return d->succeed();
      d->fail(code, text);
    }
  };
  const typing_reaction* known = typing_reactions_.get(message_id);
  if (known == nullptr) return finish(PB_OK, {});  // nothing of ours on that message
  if (known->adding) {
    typing_reactions_.put(message_id, typing_reaction{{}, true, true});
    return finish(PB_OK, {});
  }
  const std::string reaction_id = known->reaction_id;
  typing_reactions_.erase(message_id);
  store_reaction(message_id, {});
  api_->call(api_op::other, delete_reaction_request(message_id, reaction_id), {},
             [self = shared_from_this(), oid, message_id](const api_call_result& res) {
               reaction_result rr = res.error.ok()
                                        ? parse_reaction_response(false, res.http_status, res.body,
                                                                  res.ratelimit_reset)
                                        : reaction_result{res.error, {}};
               if (!rr.error.ok())
                 self->log(PB_LOG_DEBUG, "typing reaction on " + message_id +
                                             " not removed: " + rr.error.message);
               if (oid != 0) {
                 if (auto d = self->owed_.take(oid)) {
                   if (rr.error.ok())
                     d->succeed();
                   else
                     d->fail(static_cast<pb_error_code>(rr.error.code), rr.error.message,
                             std::chrono::milliseconds(rr.error.retry_after_ms));
                 }
               }
               self->check_stopped();
             });
}

namespace {
constexpr std::string_view reaction_key_prefix = "typing:";
constexpr std::size_t max_kv_key = 256;
}  // namespace

std::string family_channel::impl::stored_reaction(const std::string& message_id) {
  std::string out;
  if (message_id.size() + reaction_key_prefix.size() > max_kv_key) return out;
  host_->with([&](const sdk::host& h) {
    try {
      if (auto v = h.kv_get(std::string(reaction_key_prefix) + message_id)) out = *v;
    } catch (const std::exception&) {
    }
  });
  return out;
}

void family_channel::impl::store_reaction(const std::string& message_id,
                                          const std::string& reaction_id) {
  if (message_id.size() + reaction_key_prefix.size() > max_kv_key) return;
  host_->with([&](const sdk::host& h) {
    try {
      const std::string key = std::string(reaction_key_prefix) + message_id;
      if (reaction_id.empty())
        h.kv_delete(key);
      else
        h.kv_set(key, reaction_id);
    } catch (const std::exception&) {
    }
  });
}

}  // namespace patchbay::plugins::feishu_family
