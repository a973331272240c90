// Identity bindings with NyxID's OAuth broker (docs/protocols/nyxid-relay.md §3): the /init and
// /unbind commands, the OAuth callback (code exchange → binding stored), and the token exchange
// that turns a binding into the asking user's short-lived access token, with self-heal
// (policy.hpp).
//
// Every call to NyxID has deadlines (the kit HTTP client, `timeout` for each phase and in total).
// Tokens, codes, states and binding ids are never logged; logs name the subject key and NyxID's
// OAuth `error` code.
//
// Thread safety: every method may be called from any thread and returns at once; the answer comes
// through the given callback exactly once, on a kit or state-store thread (never blocking there).
// Owned through a shared_ptr (in-flight work keeps it alive); destroy it only after the io
// runtime stopped and the store closed, or keep it alive until their callbacks have run.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "identity/access_token_cache.hpp"
#include "identity/binding_store.hpp"
#include "identity/oauth_messages.hpp"
#include "identity/policy.hpp"
#include "patchbay/kit/http_types.hpp"

namespace patchbay::kit {
class io_runtime;
}

namespace patchbay::identity {

// Who asks: a chat user of one channel.
struct subject {
  std::string platform;  // the channel plugin's platform (lower-cased in key())
  std::string channel;   // channel instance id (stands for the tenant)
  std::string sender;    // the platform's sender id
  bool direct = false;   // the conversation is a DM with the bot
  std::string key() const;
};

struct broker_options {
  broker_client client;
  std::string state_secret;
  std::string ca_file;
  std::chrono::milliseconds timeout{10'000};
  std::function<std::int64_t()> now_ms;  // Unix ms; empty = the system clock
};

struct token_result {
  exchange_outcome outcome = exchange_outcome::unavailable;
  std::string token;      // outcome == token; a secret
  std::string user_text;  // otherwise: what the user is told
};

class broker_service : public std::enable_shared_from_this<broker_service> {
 public:
  broker_service(kit::io_runtime& rt, broker_options opt, std::shared_ptr<binding_store> store);

  // /init or /unbind from `who`; `reply` gets the user-facing answer.
  void run_command(command c, const subject& who, const std::function<void(std::string)>& reply);
  // The access token for a turn of `who` (cached per binding), or the text telling them why not.
  void token_for(const subject& who, std::function<void(token_result)> done);
  // GET /oauth/nyxid/callback?<query>: verifies the state, exchanges the code, stores the
  // binding; answers a small HTML page (400 for a bad or expired state, nothing stored then).
  void handle_callback(std::string_view query, std::function<void(kit::http_response)> respond);

  access_token_cache& tokens() { return tokens_; }

 private:
  struct http_answer {
    std::string error;  // transport error ("" = an HTTP answer)
    unsigned status = 0;
    std::string body;
  };
  void call(std::string method, std::string url, std::string form,
            std::function<void(http_answer)> done);
  void init(const subject& who, const std::function<void(std::string)>& reply);
  void unbind(const subject& who, const std::function<void(std::string)>& reply);
  // Removes the local record of `key` if it still holds `binding_id` (up to `attempts` writes).
  void remove_local(const std::string& key, const std::string& binding_id, int attempts,
                    const std::function<void(revoke_result)>& done);
  void self_heal(const subject& who, const std::string& binding_id, exchange_outcome why,
                 std::function<void(token_result)> done);
  void finish_callback(const std::string& key, const token_answer& a,
                       const std::function<void(kit::http_response)>& respond);
  std::int64_t now_ms() const;

  kit::io_runtime& rt_;
  const broker_options opt_;
  const std::shared_ptr<binding_store> store_;
  access_token_cache tokens_;
};

// The small HTML page the OAuth callback answers with (text escaped).
kit::http_response callback_page(unsigned status, std::string_view title, std::string_view text);

}  // namespace patchbay::identity
