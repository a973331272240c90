#include "turns/typing_keeper.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "patchbay/common/log_subject.hpp"

namespace patchbay::turns {

namespace {

// Failures that say "not now" or "not allowed" for the channel as a whole.
bool pauses_channel(int32_t code) {
  return code == PB_ERR_RATE_LIMITED || code == PB_ERR_AUTH || code == PB_ERR_REJECTED ||
         code == PB_ERR_UNSUPPORTED;
}

const char* action_name(int32_t action) { return action == PB_TYPING_STOP ? "stop" : "start"; }

// The turn's output with its terminal event reported to the keeper first.
class typing_output final : public turn_output {
 public:
  typing_output(typing_keeper& k, std::weak_ptr<bool> alive, std::string turn_id,
                std::unique_ptr<turn_output> inner)
      : keeper_(k),
        alive_(std::move(alive)),
        turn_id_(std::move(turn_id)),
        inner_(std::move(inner)) {}
  void delta(std::string_view t) override { inner_->delta(t); }
  void content(std::string_view t, bool eph) override { inner_->content(t, eph); }
  void attachment(const attachment_spec& a) override { inner_->attachment(a); }
  void error(std::string_view t) override {
    end();
    inner_->error(t);
  }
  void complete() override {
    end();
    inner_->complete();
  }
  bool rendered() const override { return inner_->rendered(); }
  void when_rendered(std::function<void()> fn) override { inner_->when_rendered(std::move(fn)); }

 private:
  void end() {
    if (auto a = alive_.lock(); a && *a) keeper_.ended(turn_id_);
  }
  typing_keeper& keeper_;
  std::weak_ptr<bool> alive_;
  std::string turn_id_;
  std::unique_ptr<turn_output> inner_;
};

}  // namespace

typing_keeper::typing_keeper(scheduler& sched, send_fn send, options opt)
    : sched_(sched), send_(std::move(send)), opt_(std::move(opt)) {
  if (!opt_.now_ms)
    opt_.now_ms = [] {
      using namespace std::chrono;
      return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
    };
}

typing_keeper::~typing_keeper() {
  *alive_ = false;
  for (auto& [id, e] : turns_)
    if (e.timer) sched_.cancel(e.timer);
}

int64_t typing_keeper::now() const { return opt_.now_ms(); }

int64_t typing_keeper::paused_until(const std::string& channel_id) const {
  auto it = paused_.find(channel_id);
  return it == paused_.end() ? 0 : it->second;
}

bool typing_keeper::expect(const std::string& turn_id, typing_target target) {
  if (turns_.count(turn_id) != 0) return false;
  entry e;
  e.target = std::move(target);
  turns_.emplace(turn_id, std::move(e));
  return true;
}

void typing_keeper::forget(const std::string& turn_id) {
  auto it = turns_.find(turn_id);
  if (it == turns_.end()) return;
  if (it->second.timer) sched_.cancel(it->second.timer);
  turns_.erase(it);
}

std::unique_ptr<turn_output> typing_keeper::wrap(const std::string& turn_id,
                                                 std::unique_ptr<turn_output> out) {
  return std::make_unique<typing_output>(*this, alive_, turn_id, std::move(out));
}

void typing_keeper::started(const std::string& turn_id) {
  auto it = turns_.find(turn_id);
  if (it == turns_.end() || it->second.running) return;
  it->second.running = true;
  arm_refresh(turn_id, it->second);
  send_start(turn_id, it->second);  // may complete the entry's call later, never inside
}

void typing_keeper::arm_refresh(const std::string& turn_id, entry& e) {
  e.timer = sched_.schedule(opt_.refresh, [this, turn_id] {
    auto it = turns_.find(turn_id);
    if (it == turns_.end()) return;
    it->second.timer = 0;
    if (it->second.ended) return;
    arm_refresh(turn_id, it->second);
    send_start(turn_id, it->second);
  });
}

void typing_keeper::send_start(const std::string& turn_id, entry& e) {
  if (e.in_flight || e.ended) return;  // a refresh while the previous call is out: skipped
  const int64_t until = paused_until(e.target.channel_id);
  if (until != 0 && now() < until) return;
  e.in_flight = true;
  e.start_sent = true;
  messages::typing_request req = e.target.request;
  req.action = PB_TYPING_START;
  send_(e.target.channel_id, std::move(req),
        [this, alive = std::weak_ptr<bool>(alive_), turn_id](const messages::op_result& r) {
          if (auto a = alive.lock(); a && *a) on_done(turn_id, PB_TYPING_START, r);
        });
}

void typing_keeper::send_stop(const std::string& turn_id, entry& e) {
  e.in_flight = true;
  messages::typing_request req = e.target.request;
  req.action = PB_TYPING_STOP;
  send_(e.target.channel_id, std::move(req),
        [this, alive = std::weak_ptr<bool>(alive_), turn_id](const messages::op_result& r) {
          if (auto a = alive.lock(); a && *a) on_done(turn_id, PB_TYPING_STOP, r);
        });
}

void typing_keeper::ended(const std::string& turn_id) {
  auto it = turns_.find(turn_id);
  if (it == turns_.end() || it->second.ended) return;
  entry& e = it->second;
  e.ended = true;
  if (e.timer) sched_.cancel(e.timer);
  e.timer = 0;
  if (!e.start_sent || !e.target.can_stop) {
    if (!e.in_flight) turns_.erase(it);  // else forgotten when the START completes
    return;
  }
  if (!e.in_flight) send_stop(turn_id, e);  // else sent when the START completes
}

void typing_keeper::on_done(const std::string& turn_id, int32_t action,
                            const messages::op_result& r) {
  auto it = turns_.find(turn_id);
  if (it == turns_.end()) return;
  entry& e = it->second;
  e.in_flight = false;
  if (!r.ok()) note_failure(turn_id, e, action, r);
  if (action == PB_TYPING_STOP || (e.ended && !e.target.can_stop)) {
    turns_.erase(it);
    return;
  }
  if (e.ended) send_stop(turn_id, e);  // the turn ended while its START was out
}

void typing_keeper::note_failure(const std::string& turn_id, entry& e, int32_t action,
                                 const messages::op_result& r) {
  const std::string& channel = e.target.channel_id;
  if (pauses_channel(r.code)) {
    const int64_t t = now();
    const int64_t wait = std::max<int64_t>(opt_.backoff.count(), r.retry_after_ms);
    const bool was_paused = paused_until(channel) > t;
    paused_[channel] = std::max(paused_until(channel), t + wait);
    if (!was_paused)
      spdlog::debug("{}typing {} failed ({}: {}); no typing indicator on this channel for {} s",
                    common::log_tag({channel, turn_id}), action_name(action),
                    messages::error_class_name(r.code), r.message, wait / 1000);
    e.failure_logged = true;
    return;
  }
  if (e.failure_logged) return;  // once per turn
  e.failure_logged = true;
  spdlog::debug("{}typing {} failed ({}: {})", common::log_tag({channel, turn_id}),
                action_name(action), messages::error_class_name(r.code), r.message);
}

}  // namespace patchbay::turns
