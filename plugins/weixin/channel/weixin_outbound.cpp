// weixin_account: the outbound REST calls (sendmessage, getconfig + sendtyping, notify*), the
// context_token store and the bookkeeping that lets stop/close cancel and settle them.
// None of these is gated by the long poll's session pause (docs/protocols/weixin-ilink.md
// §5.3/§5.4).
#include "weixin_account.hpp"

namespace patchbay::weixin {
namespace {

constexpr std::string_view token_key_prefix = "ctx:";
constexpr std::size_t max_kv_key = 256;
constexpr std::chrono::milliseconds typing_timeout{10'000};
constexpr int64_t ticket_ttl_ms = 24LL * 3600 * 1000;

}  // namespace

uint32_t weixin_account::random32() {
  // splitmix64: 8 bytes of state per account (1,000 accounts must stay small).
  uint64_t z = (rng_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<uint32_t>((z ^ (z >> 31)) >> 16);
}

void weixin_account::rest(std::string_view endpoint, std::string body,
                          std::chrono::milliseconds timeout, fetch_done done) {
  kit::http_client_request req;
  req.method = "POST";
  req.url = cfg_.base_url + std::string(endpoint);
  for (auto& h : post_headers(cfg_.identity, cfg_.bot_token, random32())) req.headers.push_back(h);
  req.body = std::move(body);
  plugins::set_limits(req, cfg_.ca_file, std::min(cfg_.connect_timeout, timeout), timeout, timeout);
  rest_calls_.start(rt_, strand_, weak_from_this(), std::move(req), closed_, std::move(done));
}

std::string weixin_account::context_token_for(const std::string& user,
                                              const std::string& reply_context) {
  // The turn's own token first: iLink allows only about ten replies per token (§4.1, #81), so
  // answering each message under its own token spreads that budget. A send without one (a
  // proactive send, a turn recovered after a restart) uses the latest token the user's messages
  // carried (§7.2: the newest one wins), from memory or from the instance store.
  if (!reply_context.empty()) return reply_context;
  if (const std::string* t = context_tokens_.get(user)) return *t;
  std::string stored;
  if (user.size() + token_key_prefix.size() <= max_kv_key) {
    host_->with([&](const sdk::host& h) {
      try {
        if (auto v = h.kv_get(std::string(token_key_prefix) + user)) stored = *v;
      } catch (const std::exception&) {
      }
    });
  }
  if (!stored.empty()) context_tokens_.put(user, stored);
  return stored;
}

void weixin_account::remember_context_token(const std::string& user, const std::string& token) {
  if (const std::string* t = context_tokens_.get(user); t && *t == token) return;
  context_tokens_.put(user, token);
  if (user.size() + token_key_prefix.size() > max_kv_key) return;
  host_->with([&](const sdk::host& h) { h.kv_set(std::string(token_key_prefix) + user, token); });
}

void weixin_account::send(outbound_text msg, sdk::completion done) {
  const uint64_t oid = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), msg = std::move(msg), oid] {
    auto fail = [&](pb_error_code code, const std::string& text) {
      if (auto d = self->owed_.take(oid)) d->fail(code, text);
    };
    if (self->closed_) return fail(PB_ERR_RETRYABLE, "channel stopped");
    if (msg.to_user.empty()) return fail(PB_ERR_INVALID_INPUT, "no recipient (conversation id)");
    const std::string token = self->context_token_for(msg.to_user, msg.reply_context);
    if (token.empty())
      // Sent without a token, iLink drops the message silently (§8, #247): refuse instead.
      return fail(PB_ERR_INVALID_INPUT,
                  "no context_token for this user: iLink only delivers to users who wrote to "
                  "the bot");
    // The per-token budget: a send past it would be dropped by iLink; refuse it at once (logged
    // once per token, not once per part).
    token_budget spent;
    if (const token_budget* b = self->token_sends_.get(token)) spent = *b;
    if (spent.sends >= sends_per_context_token) {
      if (!spent.logged) {
        spent.logged = true;
        self->token_sends_.put(token, spent);
        self->log(PB_LOG_WARN, "send budget of a context token spent (" +
                                   std::to_string(sends_per_context_token) +
                                   " messages): later sends under it are refused");
      }
      return fail(PB_ERR_REJECTED, "iLink takes at most " +
                                       std::to_string(sends_per_context_token) +
                                       " messages per context token; this reply used them all");
    }
    ++spent.sends;
    self->token_sends_.put(token, spent);
    // Stable for a message the host identifies (its retries and resends after a restart carry
    // the same turn id and text); a fresh one otherwise.
    const std::string client_id = msg.turn_id.empty()
                                      ? make_client_id(self->now_unix_ms(), self->random32())
                                      : make_stable_client_id(msg.turn_id, msg.text);
    self->rest(path::sendmessage,
               sendmessage_body(self->cfg_.identity, msg.to_user, msg.text, token, client_id),
               self->cfg_.send_timeout,
               [self, oid, client_id, token](const std::string& err,
                                             const kit::http_client_response& resp) {
                 self->on_sent(oid, client_id, token, err, resp);
               });
  });
}

void weixin_account::on_sent(uint64_t oid, const std::string& client_id, const std::string& token,
                             const std::string& err, const kit::http_client_response& resp) {
  generic_response out;
  auto failure = classify_rest("sendmessage", err, resp.status, resp.body, out);
  auto d = owed_.take(oid);
  if (failure) {
    // Not delivered: it does not spend the token's budget (a retry may go). Media sends pass no
    // token here: they are not counted against it.
    if (const token_budget* b = token.empty() ? nullptr : token_sends_.get(token);
        b && b->sends > 0)
      token_sends_.put(token, token_budget{b->sends - 1, b->logged});
    log(PB_LOG_WARN, failure->message);
    if (d)
      d->fail(failure->code, failure->message, std::chrono::milliseconds(failure->retry_after_ms));
    return;
  }
  alive(PB_LIVENESS_API_OK);
  if (out.message_id.empty()) log(PB_LOG_DEBUG, "sendmessage accepted without a message_id");
  if (d) d->succeed(out.message_id.empty() ? client_id : out.message_id);
}

void weixin_account::typing(std::string user, std::string reply_context, bool stop,
                            sdk::completion done) {
  const uint64_t oid = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), user = std::move(user),
                reply_context = std::move(reply_context), stop, oid] {
    auto fail = [&](pb_error_code code, const std::string& text) {
      if (auto d = self->owed_.take(oid)) d->fail(code, text);
    };
    if (!self->cfg_.typing) return fail(PB_ERR_UNSUPPORTED, "typing is disabled in the config");
    if (self->closed_) return fail(PB_ERR_RETRYABLE, "channel stopped");
    if (user.empty()) return fail(PB_ERR_INVALID_INPUT, "no user to show typing to");
    const int64_t now = self->monotonic_ms();
    if (stop) {
      const ticket* t = self->tickets_.get(user);
      if (t == nullptr) {  // no ticket, so no indicator was shown
        if (auto d = self->owed_.take(oid)) d->succeed();
        return;
      }
      return self->send_typing(user, t->value, 2, oid);
    }
    if (const ticket* t = self->tickets_.get(user); t && t->refresh_at_ms > now)
      return self->send_typing(user, t->value, 1, oid);
    // §4.2: a typing ticket per user from getconfig, refreshed at a random point within 24 h.
    const std::string token = self->context_token_for(user, reply_context);
    self->rest(
        path::getconfig, getconfig_body(self->cfg_.identity, user, token), typing_timeout,
        [self, user, oid, now](const std::string& err, const kit::http_client_response& resp) {
          generic_response out;
          auto failure = classify_rest("getconfig", err, resp.status, resp.body, out);
          if (!failure && (!out.status.has_ret || out.typing_ticket.empty()))
            failure = classified_error{PB_ERR_RETRYABLE, "getconfig: no typing_ticket"};
          const ticket* old = self->tickets_.get(user);
          if (failure && !old) {
            if (auto d = self->owed_.take(oid)) d->fail(failure->code, failure->message);
            return;
          }
          std::string value = failure ? old->value : out.typing_ticket;
          if (!failure) {
            const int64_t ttl = 1 + static_cast<int64_t>(self->random32() % ticket_ttl_ms);
            self->tickets_.put(user, ticket{value, now + ttl});
          }
          self->send_typing(user, value, 1, oid);
        });
  });
}

void weixin_account::send_typing(const std::string& user, const std::string& ticket_value,
                                 int status, uint64_t owed_id) {
  rest(path::sendtyping, sendtyping_body(cfg_.identity, user, ticket_value, status), typing_timeout,
       [self = shared_from_this(), owed_id](const std::string& err,
                                            const kit::http_client_response& resp) {
         generic_response out;
         auto failure = classify_rest("sendtyping", err, resp.status, resp.body, out);
         auto d = self->owed_.take(owed_id);
         if (!d) return;
         if (failure) return d->fail(failure->code, failure->message);
         d->succeed();
       });
}

}  // namespace patchbay::weixin
