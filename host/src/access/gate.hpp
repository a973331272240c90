// The access gate: the first front stage of the inbound path (turns/inbound_front.hpp). For each
// durable, deduplicated inbound message it applies, in this order:
//   1. access (policy.hpp): deny > allowlist > approved pairing > DM policy; groups by id and
//      @mention. Strangers are dropped silently (counted); under `dm: pairing` they get a code.
//   2. staleness (staleness.hpp): a late message gets one short notice per sender and window.
//   3. inbound limits (inbound_limiter.hpp): over the limit, `notice` (one notice per sender and
//      window, then silent drops) or `queue` (held, bounded, and handed back through `resubmit`
//      when a token is free, on a timer of the turn service's scheduler).
// Every drop is counted in the channel's metrics and logged at debug level; strangers being
// dropped on a channel are logged at warn level at most once per minute.
//
// Threading: check() and the stage run on the turn service's strand only. reconfigure() and
// pairings() may be called from any thread.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "access/inbound_limiter.hpp"
#include "access/pairing_book.hpp"
#include "config/config.hpp"
#include "turns/inbound_front.hpp"
#include "turns/router.hpp"

namespace patchbay::metrics {
class registry;
}

namespace patchbay::access {

class gate {
 public:
  struct clocks {
    std::function<steady_time()> steady;  // buckets and notice windows; default steady_clock
    std::function<int64_t()> unix_ms;     // staleness; default system_clock
  };
  // Hands a queued message back to the inbound path (turn_service::on_inbound).
  using resubmit_fn =
      std::function<void(const std::string& channel, const messages::inbound_message& m)>;
  static constexpr std::chrono::seconds notice_window{60};

  // `metrics` may be null (nothing counted). Logs the configuration's wildcard warnings.
  gate(const config::config& cfg, std::shared_ptr<pairing_book> book,
       metrics::registry* metrics = nullptr, clocks c = {});
  ~gate();
  gate(const gate&) = delete;
  gate& operator=(const gate&) = delete;

  // New channel settings (a reload); logs the wildcard warnings again. Any thread.
  void reconfigure(const config::config& cfg);
  pairing_book& pairings() { return *book_; }

  // A proactive send (POST /v1/messages) to `conversation` on `channel`, for `user` ("" = none):
  // allowed when the conversation is on groups.allow, or when the DM rules (policy.hpp)
  // admit the recipient (`user`, else the conversation id). An unconfigured channel: allowed
  // (the send itself answers 404). Any thread.
  bool admits_send(const std::string& channel, const std::string& conversation,
                   const std::string& user) const;

  // Where queue mode sets its timers and hands messages back. Call before the first check().
  void attach(turns::scheduler& sched, resubmit_fn resubmit);
  // The front stage: check() through a stage function.
  turns::front_stage stage();
  // The gate's verdict on one message (nullopt: pass to the next stage). On the strand only.
  std::optional<turns::front_verdict> check(const turns::front_input& in);

  // Messages held in queue mode on `channel` now (tests, on the strand).
  std::size_t queued(const std::string& channel) const;

 private:
  struct channel_state;
  channel_state& state_of(const std::string& channel, const config::channel_config& cfg);
  std::optional<turns::front_verdict> check_access(const turns::front_input& in,
                                                   const config::channel_config& cfg);
  std::optional<turns::front_verdict> check_limits(const turns::front_input& in,
                                                   const config::channel_config& cfg);
  void release(const std::string& channel);
  void count_refused(const std::string& channel);
  void count_rate_limited(const std::string& channel);
  void count_late(const std::string& channel);

  std::shared_ptr<pairing_book> book_;
  metrics::registry* metrics_;
  clocks clocks_;
  mutable std::mutex mu_;  // guards channels_ (reconfigure from the control thread)
  std::map<std::string, std::shared_ptr<const config::channel_config>> channels_;
  // On the strand:
  turns::scheduler* sched_ = nullptr;
  resubmit_fn resubmit_;
  std::map<std::string, std::unique_ptr<channel_state>> states_;
  std::set<std::string> released_;  // "channel\x1f event id" handed back by queue mode
};

}  // namespace patchbay::access
