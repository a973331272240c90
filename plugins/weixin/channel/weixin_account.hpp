// One iLink bot account (one channel instance): the getupdates long poll with its session guard,
// notifyStart/notifyStop, and the outbound REST calls (sendmessage, getconfig + sendtyping).
//
// Threading: every member below the public API runs on the account's strand of the plugin-wide
// kit::io_runtime (shared by all accounts: no thread per account). The public functions may be
// called from any thread and post to that strand. Host API calls go through a gate that close()
// shuts, so nothing reaches the host after the instance is destroyed.
//
// Inbound order (docs/architecture.md §7, pb_host_api.h emit_inbound): the messages of one
// getupdates answer are emitted in order; once the host has made every one durable (ACCEPTED or
// DUPLICATE), the new get_updates_buf cursor is written to the instance store, and only once that
// write is durable does the next poll carry it (that poll is what acknowledges the batch to iLink).
// A refused message leaves the cursor where it was, so iLink redelivers the batch; the host's and
// the plugin's dedup make redeliveries harmless.
//
// Stop: the in-flight long poll is cancelled at once (kit http_cancel), notifyStop goes out with
// a short deadline, in-flight sends are given until then and cancelled after; then `done`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/runtime.hpp"
#include "patchbay/plugin.hpp"
#include "support/bounded_lru.hpp"
#include "support/http_calls.hpp"
#include "support/instance_core.hpp"
#include "support/plugin_runtime.hpp"
#include "weixin/proto/ilink_media.hpp"
#include "weixin/proto/session_guard.hpp"
#include "weixin/proto/weixin_config.hpp"

namespace patchbay::weixin {

using plugins::bounded_lru;
using plugins::host_gate;
using plugins::http_calls;
using plugins::pending_stop;

// iLink delivers about ten messages per context_token (docs/protocols/weixin-ilink.md §4.1).
inline constexpr uint32_t sends_per_context_token = 10;

struct outbound_text {
  std::string to_user, text, reply_context;
  std::string turn_id;  // the host's id of the message: seeds a stable client_id ("" = none)
};

// An attachment to send (pb_outbound_attachment, copied): the file is read and encrypted by
// send_media on the caller's thread, never on an I/O thread.
struct outbound_media {
  std::string to_user, reply_context, turn_id;
  std::string kind, name, mime_type, path, md5_hex;
  uint64_t size = 0;
};

// An inbound attachment to download (pb_fetch_request, copied; `id` decoded).
struct media_fetch {
  media_ref ref;
  std::string dest_path;
  uint64_t max_bytes = 0;  // the host's cap (0: none of its own)
};

class weixin_account : public std::enable_shared_from_this<weixin_account>,
                       private plugins::instance_core<weixin_config> {
 public:
  weixin_account(kit::io_runtime& rt, sdk::host h, weixin_config cfg);
  ~weixin_account();

  void start();
  void stop(std::chrono::milliseconds deadline, sdk::stop_completion done);
  void send(outbound_text msg, sdk::completion done);
  // START (status 1, also the refresh) or STOP (`stop`: status 2, with the cached ticket; a user
  // without one had no indicator shown, so STOP then succeeds without a call).
  void typing(std::string user, std::string reply_context, bool stop, sdk::completion done);
  // Media (weixin_media.cpp): upload + sendmessage of one attachment; download into a file.
  void send_media(outbound_media msg, sdk::completion done);
  void fetch(const media_fetch& f, sdk::completion done);
  // Destroy: no host call after this returns; owed completions are settled here.
  void close();

 private:
  using fetch_done = http_calls::fetch_done;
  struct ticket {
    std::string value;
    int64_t refresh_at_ms = 0;
  };

  // ---- poll loop (weixin_account.cpp) ----
  void load_state();
  void notify_start(bool at_start);
  void poll();
  void on_poll_done(const std::string& error, const kit::http_client_response& resp);
  void handle_messages(updates_response r);
  void on_batch_emitted(const std::string& new_cursor, bool refused);
  void apply(session_guard::decision d);
  void report_health(std::chrono::milliseconds next_delay);
  // Liveness evidence for the host (ABI minor 2): every getupdates answer (an empty one
  // included), a notifyStart or a send that worked. The window is two long-poll holds plus the
  // poll's margin: one hold may pass without an answer (the client's own timeout), not two.
  void alive(pb_liveness_kind kind);
  void check_stopped();
  void finish_stop();

  // ---- REST (weixin_outbound.cpp) ----
  // POSTs `body` to `endpoint` with the account's headers; `done` runs on the strand. A
  // cancellable call is registered so stop/close can cancel it.
  void rest(std::string_view endpoint, std::string body, std::chrono::milliseconds timeout,
            fetch_done done);
  std::string context_token_for(const std::string& user, const std::string& reply_context);
  void remember_context_token(const std::string& user, const std::string& token);
  void send_typing(const std::string& user, const std::string& ticket_value, int status,
                   uint64_t owed_id);
  uint32_t random32();
  // sendmessage's answer for the send owed under `oid` (text and media alike).
  // `token`: the context token a text send counted against its budget ("" = not counted).
  void on_sent(uint64_t oid, const std::string& client_id, const std::string& token,
               const std::string& err, const kit::http_client_response& resp);

  // ---- media (weixin_media.cpp) ----
  struct upload_op;
  void cdn_upload(const std::shared_ptr<upload_op>& op, int attempt);
  // A CDN request: no bot credential, the media deadline, cancellable by stop/close.
  kit::http_client_request cdn_request(std::string method, std::string url) const;

  // instance_core: rt_, strand_, host_, cfg_, closed_, owed_; log, monotonic_ms, now_unix_ms.

  // strand-only state
  session_guard guard_;
  kit::timer timer_;
  std::string cursor_;
  std::chrono::milliseconds poll_timeout_;
  std::shared_ptr<kit::http_cancel> poll_cancel_;
  bool started_ = false;
  bool stopping_ = false;
  bool stop_requested_ = false;
  bool notify_stop_pending_ = false;
  int batch_pending_ = 0;
  bool batch_refused_ = false;
  // Every refusal of the batch was the host's overload (PB_ERR_RATE_LIMITED): the poll is fine,
  // the batch is fetched again after the longest retry_after_ms the host asked for.
  bool batch_overload_only_ = true;
  int64_t batch_retry_after_ms_ = 0;
  std::string batch_cursor_;
  int reported_state_ = 0;
  uint32_t reported_attempt_ = 0;
  std::string reported_reason_;
  bool relogin_logged_ = false;
  bounded_lru<bool> seen_;
  bounded_lru<std::string> context_tokens_;
  // Sends made under each context_token (the budget); `logged`: the refusal was logged once.
  struct token_budget {
    uint32_t sends = 0;
    bool logged = false;
  };
  bounded_lru<token_budget> token_sends_{4096};
  bounded_lru<ticket> tickets_;
  pending_stop stop_;
  uint64_t rng_;
  uint64_t skipped_ = 0;  // inbound messages skipped (bot-authored or still generating)

  // Any thread: REST calls in flight (cancelled by stop/close). The send/typing completions not
  // yet settled are in instance_core's owed_ (settled by close() if still owed).
  http_calls rest_calls_;
};

}  // namespace patchbay::weixin
