#include "identity/broker_service.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>

#include "identity/pkce.hpp"
#include "patchbay/kit/http_client.hpp"

namespace patchbay::identity {

namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string subject::key() const {
  std::string p = platform;
  for (auto& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return p + ":" + channel + ":" + sender;
}

kit::http_response callback_page(unsigned status, std::string_view title, std::string_view text) {
  kit::http_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.headers = {{"Cache-Control", "no-store"}, {"Referrer-Policy", "no-referrer"}};
  r.body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
           "</title></head><body><h1>" + html_escape(title) + "</h1><p>" + html_escape(text) +
           "</p></body></html>\n";
  return r;
}

broker_service::broker_service(kit::io_runtime& rt, broker_options opt,
                               std::shared_ptr<binding_store> store)
    : rt_(rt), opt_(std::move(opt)), store_(std::move(store)) {}

std::int64_t broker_service::now_ms() const {
  return opt_.now_ms ? opt_.now_ms() : system_now_ms();
}

void broker_service::call(std::string method, std::string url, std::string form,
                          std::function<void(http_answer)> done) {
  kit::http_client_request req;
  req.method = std::move(method);
  req.url = std::move(url);
  req.body = std::move(form);
  if (!req.body.empty())
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  req.ca_file = opt_.ca_file;
  req.connect_timeout = req.first_byte_timeout = req.idle_timeout = req.total_timeout =
      opt_.timeout;
  req.max_body_bytes = 64 << 10;
  kit::http_fetch(rt_, std::move(req),
                  [done = std::move(done)](std::string error, kit::http_client_response resp) {
                    done(http_answer{std::move(error), resp.status, std::move(resp.body)});
                  });
}

void broker_service::run_command(command c, const subject& who,
                                 const std::function<void(std::string)>& reply) {
  if (c == command::init) return init(who, reply);
  if (c == command::unbind) return unbind(who, reply);
}

void broker_service::init(const subject& who, const std::function<void(std::string)>& reply) {
  // The link is personal (whoever opens it binds their NyxID to this sender): never in a group.
  if (!who.direct) return reply(texts::init_in_group());
  if (store_->get(who.key())) return reply(texts::init_already_bound());
  try {
    state_claims c{"nyxid", who.key(), random_token(), now_ms() / 1000 + state_lifetime_s};
    const std::string state = sign_state(c, opt_.state_secret);
    const std::string challenge =
        pkce_challenge_s256(pkce_verifier_for(opt_.state_secret, c.nonce));
    spdlog::info("identity nyxid: {} asked for a binding link", who.key());
    reply(texts::init_link(authorize_url(opt_.client, state, challenge)));
  } catch (const std::exception& e) {
    spdlog::error("identity nyxid: cannot make a binding link for {}: {}", who.key(), e.what());
    reply(texts::init_unavailable());
  }
}

void broker_service::unbind(const subject& who, const std::function<void(std::string)>& reply) {
  const std::string key = who.key();
  auto rec = store_->get(key);
  if (!rec) return reply(texts::unbind_not_bound());
  auto self = shared_from_this();
  auto local = [self, key, id = rec->binding_id, reply](bool) {
    self->remove_local(key, id, max_local_revoke_attempts, [self, key, id, reply](revoke_result r) {
      if (r == revoke_result::removed) {
        self->tokens_.erase(id);
        spdlog::info("identity nyxid: {} unbound", key);
        return reply(texts::unbind_done());
      }
      reply(texts::unbind_failed());
    });
  };
  if (rec->binding_id.empty()) return local(true);  // nothing NyxID could revoke
  // Remote first: a local record without a remote binding heals itself; the reverse would leave
  // a live binding nobody can reach.
  call("DELETE", binding_url(opt_.client, rec->binding_id), "",
       [key, local, reply](const http_answer& a) {
         const bool gone = a.error.empty() && ((a.status >= 200 && a.status < 300) ||
                                               a.status == 404 || a.status == 410);
         if (gone) return local(true);
         spdlog::warn("identity nyxid: revoking the binding of {} failed ({}); kept it", key,
                      a.error.empty() ? "HTTP " + std::to_string(a.status) : a.error);
         reply(texts::unbind_failed());
       });
}

void broker_service::remove_local(const std::string& key, const std::string& binding_id,
                                  int attempts, const std::function<void(revoke_result)>& done) {
  auto now = store_->get(key);
  // Already gone, or bound again since (a newer binding is not this failure's to clear).
  if (!now || now->binding_id != binding_id) return done(revoke_result::removed);
  auto self = shared_from_this();
  store_->remove(key, [self, key, binding_id, attempts, done](const std::string& err) {
    if (err.empty()) return done(revoke_result::removed);
    spdlog::warn("identity nyxid: removing the local binding of {} failed: {}{}", key, err,
                 attempts > 1 ? "; retrying once" : "");
    if (attempts > 1) return self->remove_local(key, binding_id, attempts - 1, done);
    done(revoke_result::failed);
  });
}

void broker_service::token_for(const subject& who, std::function<void(token_result)> done) {
  const std::string key = who.key();
  auto rec = store_->get(key);
  if (!rec) return done({exchange_outcome::not_bound, "", texts::not_bound(who.direct)});
  if (rec->binding_id.empty())
    return self_heal(who, rec->binding_id, exchange_outcome::record_broken, std::move(done));
  if (auto t = tokens_.get(rec->binding_id, now_ms()))
    return done({exchange_outcome::token, std::move(*t), ""});
  auto self = shared_from_this();
  call("POST", opt_.client.base_url + "/oauth/token",
       token_exchange_form(opt_.client, rec->binding_id),
       [self, who, id = rec->binding_id, done = std::move(done)](http_answer a) mutable {
         if (!a.error.empty()) {
           spdlog::warn("identity nyxid: token exchange for {} failed: {}", who.key(), a.error);
           return done({exchange_outcome::unavailable, "", texts::exchange_unavailable()});
         }
         token_answer t = parse_token_answer(a.status, a.body);
         switch (t.what) {
           case token_answer::kind::ok:
             self->tokens_.put(id, t.access_token, t.expires_in_s, self->now_ms());
             return done({exchange_outcome::token, std::move(t.access_token), ""});
           case token_answer::kind::invalid_grant:
           case token_answer::kind::invalid_scope: {
             const auto why = t.what == token_answer::kind::invalid_grant
                                  ? exchange_outcome::invalid_grant
                                  : exchange_outcome::invalid_scope;
             spdlog::warn(
                 "identity nyxid: token exchange for {}: HTTP {} {} ({}); clearing the "
                 "local binding",
                 who.key(), a.status, t.error, t.error_description);
             self->tokens_.erase(id);
             return self->self_heal(who, id, why, std::move(done));
           }
           default:
             spdlog::warn("identity nyxid: token exchange for {}: HTTP {} {}", who.key(), a.status,
                          t.error.empty() ? "(no OAuth error)" : t.error);
             return done({exchange_outcome::unavailable, "", texts::exchange_unavailable()});
         }
       });
}

void broker_service::self_heal(const subject& who, const std::string& binding_id,
                               exchange_outcome why, std::function<void(token_result)> done) {
  remove_local(who.key(), binding_id, max_local_revoke_attempts,
               [who, why, done = std::move(done)](revoke_result r) {
                 if (r == revoke_result::failed)
                   spdlog::error(
                       "identity nyxid: the local binding of {} could not be cleared; "
                       "the user was told to /unbind",
                       who.key());
                 done({why, "", texts::healed(why, r, who.direct)});
               });
}

void broker_service::handle_callback(std::string_view query,
                                     std::function<void(kit::http_response)> respond) {
  const callback_params p = parse_callback_query(query);
  state_claims claims;
  const state_check check = verify_state(p.state, opt_.state_secret, now_ms() / 1000, claims);
  if (check != state_check::ok || claims.provider != "nyxid") {
    spdlog::warn("identity nyxid: callback with a {} state refused",
                 check == state_check::expired ? "expired" : "invalid");
    return respond(callback_page(
        400, "Link not valid",
        check == state_check::expired
            ? "This sign-in link has expired. Send /init to the bot again for a new one."
            : "This sign-in link is not valid. Send /init to the bot for a new one."));
  }
  if (!p.error.empty() || p.code.empty()) {
    spdlog::info("identity nyxid: {}: authorization not granted ({})", claims.subject_key,
                 p.error.empty() ? "no code" : p.error);
    return respond(callback_page(
        400, "Not bound", "NyxID did not grant access. Send /init to the bot to try again."));
  }
  if (store_->get(claims.subject_key))
    return respond(callback_page(
        409, "Already bound", "You are already bound. Send /unbind to the bot first, then /init."));
  auto self = shared_from_this();
  const std::string key = claims.subject_key;
  call("POST", opt_.client.base_url + "/oauth/token",
       code_grant_form(opt_.client, p.code, pkce_verifier_for(opt_.state_secret, claims.nonce)),
       [self, key, respond = std::move(respond)](http_answer a) {
         if (!a.error.empty()) {
           spdlog::warn("identity nyxid: code exchange for {} failed: {}", key, a.error);
           return respond(callback_page(502, "Not bound",
                                        "NyxID could not be reached. Send /init to the bot to try "
                                        "again."));
         }
         self->finish_callback(key, parse_token_answer(a.status, a.body), respond);
       });
}

void broker_service::finish_callback(const std::string& key, const token_answer& a,
                                     const std::function<void(kit::http_response)>& respond) {
  if (a.what != token_answer::kind::ok) {
    spdlog::warn("identity nyxid: code exchange for {}: {}", key,
                 a.error.empty() ? "unreadable answer" : a.error);
    return respond(callback_page(a.what == token_answer::kind::invalid_grant ? 400 : 502,
                                 "Not bound",
                                 "NyxID refused this sign-in (the link may have been used "
                                 "already). Send /init to the bot to try again."));
  }
  if (a.binding_id.empty()) {
    spdlog::error(
        "identity nyxid: NyxID returned no binding_id for {}: is the OAuth client "
        "broker-capable (scope urn:nyxid:scope:broker_binding)?",
        key);
    return respond(callback_page(502, "Not bound",
                                 "NyxID did not create a binding; the operator has been "
                                 "notified."));
  }
  auto self = shared_from_this();
  auto revoke_new = [self, id = a.binding_id] {
    self->call("DELETE", binding_url(self->opt_.client, id), "", [](const http_answer&) {});
  };
  if (store_->get(key)) {  // another link of the same user completed meanwhile
    revoke_new();
    return respond(callback_page(
        409, "Already bound", "You are already bound. Send /unbind to the bot first, then /init."));
  }
  const binding_record rec{a.binding_id, now_ms()};
  auto store_once = std::make_shared<std::function<void(int)>>();
  *store_once = [self, key, rec, respond, revoke_new, store_once](int attempts) {
    self->store_->put(
        key, rec, [self, key, respond, revoke_new, store_once, attempts](const std::string& err) {
          if (err.empty()) {
            spdlog::info("identity nyxid: {} bound", key);
            *store_once = nullptr;  // breaks the self-reference
            return respond(callback_page(
                200, "Bound", "Your NyxID account is bound. You can go back to the chat."));
          }
          spdlog::warn("identity nyxid: storing the binding of {} failed: {}", key, err);
          if (attempts > 1) return (*store_once)(attempts - 1);
          revoke_new();  // nothing local points at it: do not leave it live at NyxID
          *store_once = nullptr;
          respond(
              callback_page(500, "Not bound",
                            "The binding could not be saved. Send /init to the bot to try again."));
        });
  };
  (*store_once)(2);
}

}  // namespace patchbay::identity
