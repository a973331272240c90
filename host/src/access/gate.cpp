#include "access/gate.hpp"

#include <spdlog/spdlog.h>

#include "access/notices.hpp"
#include "access/policy.hpp"
#include "access/staleness.hpp"
#include "metrics/registry.hpp"
#include "patchbay/common/log_subject.hpp"

namespace patchbay::access {
namespace {

steady_time steady_now() { return std::chrono::steady_clock::now(); }
int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

turns::front_verdict drop(std::string reason) {
  turns::front_verdict v;
  v.what = turns::front_verdict::kind::drop;
  v.reason = std::move(reason);
  return v;
}
turns::front_verdict hold(std::string reason) {
  turns::front_verdict v;
  v.what = turns::front_verdict::kind::hold;
  v.reason = std::move(reason);
  return v;
}
turns::front_verdict answer(std::string text) {
  turns::front_verdict v;
  v.what = turns::front_verdict::kind::host_answer;
  v.text = std::move(text);
  return v;
}

void warn_wildcards(const config::config& cfg) {
  for (const auto& ch : cfg.channels)
    for (const auto& w : wildcard_warnings(ch))
      spdlog::warn("{}{} (an explicit choice in the config)", common::log_tag({.channel = ch.id}),
                   w);
}

}  // namespace

struct gate::channel_state {
  channel_state(const config::limits_config& l, steady_time now) : limiter(l, now) {}
  inbound_limiter limiter;
  std::deque<messages::inbound_message> queue;  // queue mode: held, oldest first
  uint64_t timer = 0;                           // 0 = no release scheduled
  steady_time last_stranger_warning{};
  uint64_t strangers_since_warning = 0;
  std::shared_ptr<metrics::channel_counters> counters;
};

gate::gate(const config::config& cfg, std::shared_ptr<pairing_book> book,
           metrics::registry* metrics, clocks c)
    : book_(std::move(book)), metrics_(metrics), clocks_(std::move(c)) {
  if (!clocks_.steady) clocks_.steady = steady_now;
  if (!clocks_.unix_ms) clocks_.unix_ms = system_now_ms;
  reconfigure(cfg);
}

gate::~gate() {
  if (sched_ != nullptr)
    for (auto& [id, st] : states_)
      if (st->timer != 0) sched_->cancel(st->timer);
}

void gate::reconfigure(const config::config& cfg) {
  std::map<std::string, std::shared_ptr<const config::channel_config>> next;
  for (const auto& ch : cfg.channels) next[ch.id] = std::make_shared<config::channel_config>(ch);
  {
    std::lock_guard lk(mu_);
    channels_.swap(next);
  }
  warn_wildcards(cfg);
}

bool gate::admits_send(const std::string& channel, const std::string& conversation,
                       const std::string& user) const {
  std::shared_ptr<const config::channel_config> cfg;
  {
    std::lock_guard lk(mu_);
    if (auto it = channels_.find(channel); it != channels_.end()) cfg = it->second;
  }
  if (!cfg) return true;
  if (listed(cfg->access.groups.allow, conversation) && !listed(cfg->access.deny, user))
    return true;
  const std::string& recipient = user.empty() ? conversation : user;
  return decide_dm(cfg->access, recipient, book_->is_approved(channel, recipient)) ==
         decision::admit;
}

void gate::attach(turns::scheduler& sched, resubmit_fn resubmit) {
  sched_ = &sched;
  resubmit_ = std::move(resubmit);
}

turns::front_stage gate::stage() {
  return [this](const turns::front_input& in) { return check(in); };
}

std::size_t gate::queued(const std::string& channel) const {
  auto it = states_.find(channel);
  return it == states_.end() ? 0 : it->second->queue.size();
}

gate::channel_state& gate::state_of(const std::string& channel, const config::channel_config& cfg) {
  auto& st = states_[channel];
  if (!st) {
    st = std::make_unique<channel_state>(cfg.limits, clocks_.steady());
    if (metrics_ != nullptr) st->counters = metrics_->channel(channel);
  }
  st->limiter.reconfigure(cfg.limits);
  return *st;
}

void gate::count_refused(const std::string& channel) {
  if (auto& c = states_[channel]->counters) c->access_refused();
}
void gate::count_rate_limited(const std::string& channel) {
  if (auto& c = states_[channel]->counters) c->rate_limited();
}
void gate::count_late(const std::string& channel) {
  if (auto& c = states_[channel]->counters) c->late();
}

std::optional<turns::front_verdict> gate::check(const turns::front_input& in) {
  const std::string key = in.channel_id + "\x1f" + in.message.event_id;
  if (released_.erase(key) > 0) return std::nullopt;  // queued earlier: already checked
  std::shared_ptr<const config::channel_config> cfg;
  {
    std::lock_guard lk(mu_);
    if (auto it = channels_.find(in.channel_id); it != channels_.end()) cfg = it->second;
  }
  if (!cfg) return std::nullopt;  // not a configured channel (tests driving the service)
  state_of(in.channel_id, *cfg);
  if (auto v = check_access(in, *cfg)) return v;
  const auto& m = in.message;
  if (!cfg->late.answer && is_late(m.sent_at_unix_ms, clocks_.unix_ms(), cfg->late)) {
    count_late(in.channel_id);
    auto& lim = states_[in.channel_id]->limiter;
    if (lim.should_notice(m.sender_id, inbound_limiter::notice_kind::late, clocks_.steady(),
                          notice_window))
      return answer(late_notice());
    return drop("arrived late (notice already sent)");
  }
  return check_limits(in, *cfg);
}

std::optional<turns::front_verdict> gate::check_access(const turns::front_input& in,
                                                       const config::channel_config& cfg) {
  const auto& m = in.message;
  const decision d = is_group(m) ? decide_group(cfg.access, m)
                                 : decide_dm(cfg.access, m.sender_id,
                                             book_->is_approved(in.channel_id, m.sender_id));
  if (d == decision::admit) return std::nullopt;
  if (d == decision::not_mentioned) return drop(to_string(d));  // group chatter, not a refusal
  count_refused(in.channel_id);
  auto& st = *states_[in.channel_id];
  ++st.strangers_since_warning;
  const steady_time now = clocks_.steady();
  if (st.strangers_since_warning == 1 ||
      now - st.last_stranger_warning >= std::chrono::minutes(1)) {
    spdlog::warn("{}{} message(s) refused by the access rules since the last warning",
                 common::log_tag({.channel = in.channel_id}), st.strangers_since_warning);
    st.last_stranger_warning = now;
    st.strangers_since_warning = 0;
  }
  if (d != decision::needs_pairing) return drop(to_string(d));
  auto [outcome, code] = book_->issue(in.channel_id, m.sender_id, cfg.access.pairing);
  if (outcome == issue_outcome::fresh || outcome == issue_outcome::resend)
    return answer(pairing_notice(code, cfg.access.pairing.code_ttl));
  return drop(outcome == issue_outcome::full ? "pairing: too many pending codes"
                                             : "pairing: code sent recently");
}

std::optional<turns::front_verdict> gate::check_limits(const turns::front_input& in,
                                                       const config::channel_config& cfg) {
  auto& st = *states_[in.channel_id];
  const auto& m = in.message;
  const steady_time now = clocks_.steady();
  const bool queue_mode = cfg.limits.over_limit == config::over_limit_mode::queue;
  // In queue mode a message never overtakes those held before it.
  if (!(queue_mode && !st.queue.empty()) && st.limiter.try_admit(m.sender_id, now))
    return std::nullopt;
  count_rate_limited(in.channel_id);
  // Notice mode, or a full queue: the sender is told once per window, then dropped.
  if (!queue_mode || st.queue.size() >= cfg.limits.queue_max || sched_ == nullptr) {
    if (st.limiter.should_notice(m.sender_id, inbound_limiter::notice_kind::rate, now,
                                 notice_window))
      return answer(rate_notice());
    return drop(queue_mode ? "over the rate limit and the queue is full (notice already sent)"
                           : "over the rate limit (notice already sent)");
  }
  st.queue.push_back(m);
  if (st.timer == 0) {
    const auto wait = st.limiter.wait(st.queue.front().sender_id, now);
    st.timer = sched_->schedule(wait, [this, ch = in.channel_id] { release(ch); });
  }
  return hold("over the rate limit: queued");
}

void gate::release(const std::string& channel) {
  auto it = states_.find(channel);
  if (it == states_.end()) return;
  auto& st = *it->second;
  st.timer = 0;
  const steady_time now = clocks_.steady();
  while (!st.queue.empty() && st.limiter.try_admit(st.queue.front().sender_id, now)) {
    messages::inbound_message m = std::move(st.queue.front());
    st.queue.pop_front();
    released_.insert(channel + "\x1f" + m.event_id);
    if (resubmit_) resubmit_(channel, m);
  }
  if (!st.queue.empty()) {
    const auto wait =
        std::max(st.limiter.wait(st.queue.front().sender_id, now), std::chrono::milliseconds(1));
    st.timer = sched_->schedule(wait, [this, channel] { release(channel); });
  }
}

}  // namespace patchbay::access
