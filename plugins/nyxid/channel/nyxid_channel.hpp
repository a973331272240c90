// The NyxID channel: one instance = one NyxID agent key (and optionally one proxy slug), on one
// strand of the plugin's shared runtime (plugins/support/plugin_runtime.hpp). Split by concern:
//   nyxid_channel.cpp   composition: start (OIDC discovery + JWKS), key refresh, stop, close,
//                       the HTTP call helper with its cancel handles
//   nyxid_inbound.cpp   POST /hooks/<channel-id>: timestamp + verify_callback (refetching keys on
//                       an unknown kid) → parse → emit → 202 only once the host made it durable
//   nyxid_outbound.cpp  send (/reply with the token or the api key, or the proxy) and edit
//                       (/reply/update), every answer classified (relay_errors, proxy_send)
//   nyxid_fetch.cpp     fetch_attachment: a callback attachment's url, streamed into a file
//
// Threading: the public entry points are called on host threads and post to the strand; all
// state below is strand-only unless marked. Host calls go through a gate that close() shuts.
// Completions owed to the host live in `owed_` (instance_core.hpp) so close() settles each one
// still open (PB_ERR_RETRYABLE) before destroy returns; HTTP calls in flight are cancelled then.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "nyxid/proto/callback_verify.hpp"
#include "nyxid/proto/jwks_cache.hpp"
#include "nyxid/proto/oidc_cache.hpp"
#include "nyxid/proto/replay_guard.hpp"
#include "nyxid_config.hpp"
#include "patchbay/common/backoff.hpp"
#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/runtime.hpp"
#include "patchbay/plugin.hpp"
#include "support/bounded_lru.hpp"
#include "support/http_calls.hpp"
#include "support/instance_core.hpp"
#include "support/plugin_runtime.hpp"

namespace patchbay::plugins::nyxid {

// A callback copied off the host's borrowed request, waiting on the strand.
struct pending_callback {
  std::string token, message_id, timestamp, body, remote;
  sdk::http_responder respond;
  bool after_refetch = false;  // verified once more after a key fetch: never waits again
};

class nyxid_channel : public std::enable_shared_from_this<nyxid_channel>,
                      private instance_core<nyxid_config> {
 public:
  nyxid_channel(kit::io_runtime& rt, sdk::host h, nyxid_config cfg);

  void start();
  void stop(std::chrono::milliseconds deadline, sdk::stop_completion done);
  void close();
  void on_http(const sdk::http_request& req, sdk::http_responder respond);
  void send(std::string conversation, std::string reply_to, std::string reply_context,
            std::string text, std::string turn_id, sdk::completion done);
  void edit(std::string message_id, std::string reply_context, std::string text,
            sdk::completion done);
  // nyxid_fetch.cpp: an inbound attachment's url, without credentials, into dest_path.
  void fetch(std::string url, const std::string& dest_path, uint64_t max_bytes,
             sdk::completion done);

 private:
  using fetch_done = http_calls::fetch_done;

  // ---- nyxid_channel.cpp ----
  void refresh_keys(const char* why);
  void fetch_jwks(const std::string& jwks_uri);
  void keys_settled(bool ok, const std::string& why);
  void schedule_refresh(std::chrono::milliseconds delay);
  void call(std::string method, std::string url, const std::string& bearer, std::string body,
            std::chrono::milliseconds total, fetch_done done);
  void check_stopped();
  void finish_stop();
  void report(pb_channel_state state, const std::string& reason = {});
  // Liveness evidence for the host (ABI minor 2): the signing keys loaded (every key_refresh),
  // a verified callback, a reply, edit or proxy send that worked. The relay has no heartbeat, so
  // the window is two key refreshes plus a fetch's deadline: one failed refresh is tolerated.
  void alive(pb_liveness_kind kind);

  // ---- nyxid_inbound.cpp ----
  void handle_callback(pending_callback cb);
  void emit(const pending_callback& cb);
  void drain_pending();

  // ---- nyxid_outbound.cpp ----
  void reply(uint64_t owed, const std::string& inbound_id, const std::string& text,
             const std::string& bearer, bool with_token, const std::string& token_key);
  void proxy_send(uint64_t owed, const std::string& receive_id, const std::string& type,
                  const std::string& fallback_id, const std::string& fallback_type,
                  std::string text, std::string seed, bool is_retry);

  // instance_core: rt_, strand_, host_, cfg_, closed_, owed_; log, monotonic_ms, now_unix_ms.

  // strand-only state
  callback_verify_config verify_cfg_;
  jwks_cache jwks_;
  oidc_cache oidc_;
  replay_guard replay_;
  bounded_lru<bool> spent_tokens_;  // token_key → spent (never sent with again)
  std::deque<pending_callback> pending_;
  bool keys_fetching_ = false;
  bool keys_ok_ = false;
  common::backoff key_backoff_;
  kit::timer refresh_timer_;
  bool started_ = false;
  bool stopping_ = false;
  pending_stop stop_;
  int reported_state_ = 0;
  std::string reported_reason_;

  // any thread: HTTP calls in flight (sends, edits, key fetches); the completions owed to the
  // host are instance_core's owed_
  http_calls calls_;
};

}  // namespace patchbay::plugins::nyxid
