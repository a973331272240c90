// Feishu/Lark family: the Open API client of one channel instance (docs/protocols/
// feishu-lark.md §1, §3, §5, §6) over the kit HTTP client.
//
//   - every request has deadlines: connect_timeout, then api_timeout for the first byte, between
//     body reads and in total (media transfers: their own total); HTTPS verified against the
//     system store or ca_file; a download's 2xx body goes straight to its file (api_request
//     body_file, capped), any other answer is read as the usual JSON envelope;
//   - the tenant token is fetched lazily, cached and refreshed per token_cache.hpp; one fetch at a
//     time, calls waiting for it are queued (bounded); on an invalid-token answer the token is
//     dropped, fetched again and the call retried ONCE;
//   - rate limits per app and per chat (rate_limiter.hpp): a call finding a bucket empty WAITS in a
//     bounded queue (one timer) instead of failing; it fails rate_limited only when it waited
//     longer than api_timeout or the queue is full. A 429 / 99991400 answer blocks the app (230020
//     the chat) until x-ogw-ratelimit-reset and the call fails rate_limited with that retry_after;
//   - failures are classified by api_errors.hpp; the credential health (bad app id/secret, app
//     disabled or not installed, bot inactive) goes to on_health so the channel reports `failed`
//     with the reason, and `ok` again once a token fetch succeeds;
//   - the bot identity (bot/v3/info) is fetched by start_identity(), retried with backoff (the
//     fatal_retry delay after a credential failure) and kept for the instance's life.
// Secrets and tokens never reach a log line or an error text: texts carry the platform code, its
// clipped msg and log_id only.
//
// Threading: everything runs on the strand given at creation; call every member on it (the
// channel posts). Callbacks run on the strand. cancel_all() may be called from any thread.
// Lifetime: shared_ptr; pending HTTP callbacks hold a weak_ptr.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "feishu_lark/proto/channel_config.hpp"
#include "feishu_lark/proto/open_api.hpp"
#include "feishu_lark/proto/rate_limiter.hpp"
#include "feishu_lark/proto/token_cache.hpp"
#include "patchbay/common/backoff.hpp"
#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/runtime.hpp"
#include "patchbay/plugin.hpp"
#include "support/http_calls.hpp"

namespace patchbay::plugins::feishu_family {

struct api_client_hooks {
  std::function<void(pb_log_level, std::string)> log;
  std::function<int64_t()> monotonic_ms;
  // Credential health changed: ok=false with an operator-facing reason (no secrets), or ok=true.
  std::function<void(bool ok, std::string reason)> on_health;
  // The bot identity is known (once per instance life).
  std::function<void(const bot_identity&)> on_identity;
  // Fetching the identity failed for a passing reason (network, 5xx): attempt `attempt` failed,
  // the next one in `delay`.
  std::function<void(std::string reason, uint32_t attempt, std::chrono::milliseconds delay)>
      on_identity_retry;
  // An HTTP request finished and nothing is in flight or queued any more (stop waits for it).
  std::function<void()> on_idle;
  // A call (the token fetch included) got a successful answer: the platform is reachable.
  std::function<void()> on_api_ok;
};

// The outcome of one call: `error.ok()` and the raw answer body on success.
struct api_call_result {
  api_error error;
  int http_status = 0;
  std::string body;
  std::string ratelimit_reset;  // x-ogw-ratelimit-reset as received
  std::string content_type;     // the answer's Content-Type
  std::string transport;        // the kit's error text ("" = an HTTP answer arrived)
};
using api_call_done = std::function<void(api_call_result)>;

class api_client : public std::enable_shared_from_this<api_client> {
 public:
  // Bounds: calls waiting for a token or for a rate-limit bucket.
  static constexpr std::size_t max_waiting = 512;

  api_client(kit::io_runtime& rt, kit::strand strand, const channel_config& cfg,
             api_client_hooks hooks);

  // Runs one Open API call: token, rate limit (by `chat_id`; "" = app bucket only), HTTP, and the
  // invalid-token retry. `done` runs exactly once on the strand (also after cancel_all, with
  // PB_ERR_RETRYABLE "cancelled"). `op` selects the error classification.
  void call(api_op op, api_request req, std::string chat_id, api_call_done done);

  // Fetches the bot identity until it succeeds (or stop); on_identity fires once.
  void start_identity();
  const std::optional<bot_identity>& identity() const { return identity_; }

  // Stop: no new retries; every queued call fails "cancelled" and in-flight requests are
  // cancelled (their `done` still runs, with "cancelled"). On the strand.
  void cancel_all();
  // Stop beginning: no more identity retries; calls in flight and queued may still finish.
  void stop_retries();
  // Cancels the HTTP requests in flight only; any thread (destroy).
  void abort_http();
  // In-flight HTTP requests + queued calls (stop waits for 0).
  std::size_t busy() const;

 private:
  struct pending {
    api_op op;
    api_request req;
    std::string chat_id;
    api_call_done done;
    int64_t queued_at_ms = 0;
    bool retried_token = false;
  };
  void with_token(std::function<void(std::optional<api_error>)> fn);
  void fetch_token();
  using pending_ptr = std::shared_ptr<pending>;
  void admit(pending_ptr p);
  void pump_rate_queue();
  void send(const pending_ptr& p);
  void on_answer(pending_ptr p, const std::string& err, kit::http_client_response resp);
  void fetch_identity();
  void schedule_identity(std::chrono::milliseconds delay);
  void set_health(bool ok, const std::string& reason);
  void http(api_request req, std::function<void(std::string, kit::http_client_response)> done);
  void log(pb_log_level l, const std::string& s) const;
  int64_t now() const;

  kit::io_runtime& rt_;
  kit::strand strand_;
  const channel_config cfg_;
  api_client_hooks hooks_;

  // strand-only state
  tenant_token_cache tokens_;
  bool token_fetching_ = false;
  std::deque<std::function<void(std::optional<api_error>)>> token_waiters_;
  rate_limiter limiter_;
  std::deque<pending_ptr> rate_queue_;
  bool pumping_ = false;
  kit::timer rate_timer_;
  std::optional<bot_identity> identity_;
  common::backoff identity_backoff_;
  kit::timer identity_timer_;
  bool identity_started_ = false;
  bool no_retries_ = false;
  bool healthy_ = true;
  bool stopped_ = false;

  // HTTP requests in flight (cancel handles; any thread).
  http_calls http_;
};

}  // namespace patchbay::plugins::feishu_family
