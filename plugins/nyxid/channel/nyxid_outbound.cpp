// nyxid_channel outbound: send and edit (docs/protocols/nyxid-relay.md §2).
//
//   send with the turn's reply token  → POST /api/v1/channel-relay/reply, Bearer <token>. The
//       token is remembered as spent BEFORE the request leaves (NyxID consumes its jti before it
//       validates or sends, §2.2) and forgotten again only for answers NyxID gives before
//       consumption (relay_errors: 401 other/403/404/409/429, or never sent). A 400, 502, 5xx or
//       timeout completes with PB_ERR_TOKEN_USED: the host's renderer retries once WITHOUT the
//       token, which lands here as an api-key reply, or fails as undeliverable. A send that
//       carries a token already spent is refused (token_used) without a request.
//   send without a usable token       → /reply with the agent api_key (reply_plan.hpp)
//   proactive send (no context)       → the proxy (proxy_send.hpp), one retry with the fallback
//                                       recipient on 230002
//   edit                              → POST /api/v1/channel-relay/reply/update keyed by the
//                                       platform message id (api key, else the spent token);
//                                       501 edit_unsupported → PB_ERR_UNSUPPORTED
// The platform message id (Lark om_…) is returned as the message id: it is what edits need.
// Operator logs carry the classified message (status, error, error_code, NyxID's message —
// redacted), never a token or key.
#include "nyxid/proto/relay_api.hpp"
#include "nyxid/proto/relay_errors.hpp"
#include "nyxid_channel.hpp"
#include "proxy_send.hpp"
#include "rejected_routes.hpp"
#include "reply_plan.hpp"

namespace patchbay::plugins::nyxid {
namespace {

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

}  // namespace

void nyxid_channel::send(std::string conversation, std::string reply_to, std::string context,
                         std::string text, std::string turn_id, sdk::completion done) {
  const uint64_t owed = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), owed, conversation = std::move(conversation),
                reply_to = std::move(reply_to), context = std::move(context),
                text = std::move(text), turn_id = std::move(turn_id)]() mutable {
    auto fail = [&](pb_error_code code, const std::string& why) {
      self->log(PB_LOG_WARN, why);
      if (auto c = self->owed_.take(owed)) c->fail(code, why);
    };
    if (self->closed_) return;
    if (blank(text)) return fail(PB_ERR_INVALID_INPUT, "nyxid: refusing to send an empty message");
    bool spent = false;
    if (auto ctx = decode_reply_context(context); ctx && !ctx->token.empty())
      spent = self->spent_tokens_.contains(token_key(ctx->token));
    send_plan plan =
        plan_send(context, reply_to, spent, !self->cfg_.api_key.empty(), self->cfg_.has_proxy());
    switch (plan.route) {
      case send_route::reply_with_token: {
        std::string key = token_key(plan.token);
        self->spent_tokens_.put(key, true);
        return self->reply(owed, plan.inbound_message_id, text, plan.token, true, key);
      }
      case send_route::reply_with_api_key:
        return self->reply(owed, plan.inbound_message_id, text, self->cfg_.api_key, false, {});
      case send_route::proxy: {
        auto target = parse_proxy_target(conversation, self->cfg_.fallback_receive_id_type);
        if (!target)
          return fail(PB_ERR_INVALID_INPUT, "nyxid proxy: the conversation is not a Lark id");
        return self->proxy_send(owed, target->id, target->type, target->fallback_id,
                                target->fallback_type, std::move(text), std::move(turn_id), false);
      }
      case send_route::token_spent_no_key:
        return fail(PB_ERR_TOKEN_USED, std::string("nyxid reply to ") + plan.inbound_message_id +
                                           " undeliverable: " + to_string(plan.route));
      case send_route::no_credential:
        return fail(PB_ERR_AUTH, std::string("nyxid reply to ") + plan.inbound_message_id +
                                     " undeliverable: " + to_string(plan.route));
      case send_route::no_proxy:
        return fail(PB_ERR_UNSUPPORTED,
                    std::string("nyxid: proactive send impossible: ") + to_string(plan.route));
      case send_route::bad_context:
        return fail(PB_ERR_INVALID_INPUT, "nyxid: " + std::string(to_string(plan.route)));
    }
  });
}

void nyxid_channel::reply(uint64_t owed, const std::string& inbound_id, const std::string& text,
                          const std::string& bearer, bool with_token, const std::string& key) {
  auto body = reply_request_body(inbound_id, text);
  if (!body) {
    if (auto c = owed_.take(owed)) c->fail(PB_ERR_INTERNAL, "nyxid reply: cannot build the body");
    return;
  }
  call("POST", cfg_.base_url + std::string(reply_path), bearer, std::move(*body),
       cfg_.request_timeout,
       [self = shared_from_this(), owed, inbound_id, with_token, key](
           const std::string& err, const kit::http_client_response& resp) {
         const relay_error e = classify_relay_result(
             relay_op::reply,
             with_token ? relay_credential::reply_token : relay_credential::api_key,
             relay_transport_of(err), static_cast<int>(resp.status), resp.body,
             resp.header("Retry-After"));
         if (with_token && !e.token_spent) self->spent_tokens_.erase(key);  // still unused
         auto c = self->owed_.take(owed);
         if (e.ok()) {
           self->alive(PB_LIVENESS_API_OK);
           auto r = parse_reply_response(resp.body);
           if (!r)
             self->log(PB_LOG_WARN, "nyxid reply to " + inbound_id +
                                        ": sent, but the answer has no message id (no edits)");
           if (c)
             c->succeed(!r                                ? std::string()
                        : !r->platform_message_id.empty() ? r->platform_message_id
                                                          : r->message_id);
           return;
         }
         std::string m = e.message;
         if (!err.empty()) m += " (" + err + ")";
         self->log(PB_LOG_WARN,
                   m + " [" + to_string(e.kind) + ", message " + inbound_id +
                       (with_token ? ", with the reply token]" : ", with the api key]"));
         if (c)
           c->fail(static_cast<pb_error_code>(e.code), m,
                   std::chrono::milliseconds(e.retry_after_ms));
       });
}

void nyxid_channel::edit(std::string message_id, std::string context, std::string text,
                         sdk::completion done) {
  const uint64_t owed = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), owed, message_id = std::move(message_id),
                context = std::move(context), text = std::move(text)]() mutable {
    if (self->closed_) return;
    std::string token;
    const edit_credential cred = plan_edit(context, !self->cfg_.api_key.empty(), &token);
    if (cred == edit_credential::none || message_id.empty() || blank(text)) {
      const std::string why = cred == edit_credential::none
                                  ? "nyxid update: no credential (no api_key and no reply token)"
                                  : "nyxid update: nothing to edit";
      self->log(PB_LOG_WARN, why);
      if (auto c = self->owed_.take(owed))
        c->fail(cred == edit_credential::none ? PB_ERR_AUTH : PB_ERR_INVALID_INPUT, why);
      return;
    }
    auto body = update_request_body(message_id, text);
    const bool with_key = cred == edit_credential::api_key;
    self->call("POST", self->cfg_.base_url + std::string(reply_update_path),
               with_key ? self->cfg_.api_key : token, std::move(*body), self->cfg_.request_timeout,
               [self, owed, message_id, with_key](const std::string& err,
                                                  const kit::http_client_response& resp) {
                 const relay_error e = classify_relay_result(
                     relay_op::update,
                     with_key ? relay_credential::api_key : relay_credential::reply_token,
                     relay_transport_of(err), static_cast<int>(resp.status), resp.body,
                     resp.header("Retry-After"));
                 auto c = self->owed_.take(owed);
                 if (e.ok()) {
                   self->alive(PB_LIVENESS_API_OK);
                   if (c) c->succeed(message_id);
                   return;
                 }
                 std::string m = e.message;
                 if (!err.empty()) m += " (" + err + ")";
                 self->log(e.code == PB_ERR_UNSUPPORTED ? PB_LOG_INFO : PB_LOG_WARN,
                           m + " [" + to_string(e.kind) + ", platform message " + message_id + "]");
                 if (c)
                   c->fail(static_cast<pb_error_code>(e.code), m,
                           std::chrono::milliseconds(e.retry_after_ms));
               });
  });
}

void nyxid_channel::proxy_send(uint64_t owed, const std::string& receive_id,
                               const std::string& type, const std::string& fallback_id,
                               const std::string& fallback_type, std::string text, std::string seed,
                               bool is_retry) {
  // The same slug (any case) just rejected this recipient: do not ask again (a failure notice
  // of the send that was rejected, through another channel with the same slug).
  const std::string route = rejected_routes::key(cfg_.base_url, cfg_.proxy_slug, receive_id);
  if (auto seen = rejected_routes::shared().find(route, monotonic_ms())) {
    log(PB_LOG_WARN, "nyxid proxy: slug " + cfg_.proxy_slug + " rejected " + type + " " +
                         receive_id + " " + std::to_string((monotonic_ms() - seen->at_ms) / 1000) +
                         " s ago; not sent again (" + seen->message + ")");
    if (auto c = owed_.take(owed))
      c->fail(static_cast<pb_error_code>(seen->code),
              seen->message + " (not sent again through the same slug)");
    return;
  }
  const proxy_request req = build_proxy_send(cfg_.proxy_slug, receive_id, type, text,
                                             seed.empty() ? seed : seed + (is_retry ? "|fb" : ""));
  call("POST", cfg_.base_url + req.path, cfg_.proxy_api_key, req.body, cfg_.request_timeout,
       [self = shared_from_this(), owed, route, receive_id, type, fallback_id, fallback_type,
        text = std::move(text), seed = std::move(seed),
        is_retry](const std::string& err, const kit::http_client_response& resp) mutable {
         const proxy_result r =
             err.empty() ? classify_proxy_answer(static_cast<int>(resp.status), resp.body,
                                                 resp.header("x-ogw-ratelimit-reset"))
                         : proxy_transport_failure(err);
         if (r.ok()) {
           self->alive(PB_LIVENESS_API_OK);
           rejected_routes::shared().forget(route);
           if (auto c = self->owed_.take(owed)) c->succeed(r.message_id);
           return;
         }
         if (r.bot_not_in_chat() && !is_retry && !fallback_id.empty()) {
           self->log(PB_LOG_INFO, "nyxid proxy: the bot is not in " + type + " " + receive_id +
                                      " (230002); retrying once with " + fallback_type);
           return self->proxy_send(owed, fallback_id, fallback_type, {}, {}, std::move(text),
                                   std::move(seed), true);
         }
         if (r.code == PB_ERR_REJECTED)
           rejected_routes::shared().remember(route, {r.code, r.message, self->monotonic_ms()});
         self->log(PB_LOG_WARN, r.message + " [slug " + self->cfg_.proxy_slug + ", " + type + " " +
                                    receive_id + "]");
         if (auto c = self->owed_.take(owed))
           c->fail(static_cast<pb_error_code>(r.code), r.message,
                   std::chrono::milliseconds(r.retry_after_ms));
       });
}

}  // namespace patchbay::plugins::nyxid
