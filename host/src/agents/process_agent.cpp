// The `process` agent: one long-lived child (kit::child_process) speaking JSON lines. The host
// writes each turn's request JSON as one line to its stdin and reads thread_response lines from
// its stdout; stderr lines are logged (truncated, rate-limited). Options: process_options.hpp.
//
// Lifecycle: idle (not started: spawned by the first turn) → running → (death) backoff → running
// again when the backoff delay has passed (proactively, even without turns) ... ; stop() → stopped
// for good. Each spawn is an incarnation with its own generation number; events of an older one
// are ignored, so one death (the exit, and the EOF or write error that come with it) is handled
// once: on_exit is the child's last event, and it takes the turns in flight with it, each failing
// exactly once. A turn that ended (done/error line) before the death is no longer in flight.
// While in backoff, a new turn is refused at once with the time left ("try again in N s").
//
// Threading: start/cancel/stop run on the router's strand; the child's events and our timers run
// on the agent's own strand. One mutex guards the state; env.deliver/env.fail (which only post
// to the router's strand) are called after unlocking, from our strand, so their order holds.
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <deque>
#include <mutex>
#include <set>

#include "agents/backends.hpp"
#include "agents/process_options.hpp"
#include "patchbay/common/backoff.hpp"
#include "patchbay/kit/child_process.hpp"
#include "patchbay/kit/runtime.hpp"
#include "turns/thread_response.hpp"

namespace patchbay::agents {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

constexpr std::size_t bad_line_excerpt = 200;  // bytes of an invalid stdout line in the log
constexpr std::size_t stderr_excerpt = 1000;   // bytes of a stderr line in the log
constexpr int stderr_burst = 20;               // stderr lines logged per window, the rest counted
constexpr ms stderr_window = 10s;
constexpr ms eof_grace = 1s;  // stdout closed but the process lives on: stop it after this

// At most `n` bytes, cut on a UTF-8 boundary, marked when cut.
std::string excerpt(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "…(" + std::to_string(s.size()) + " bytes)";
}

long long ceil_seconds(steady::duration d) {
  auto m = std::chrono::duration_cast<ms>(d).count();
  return m <= 0 ? 1 : (m + 999) / 1000;
}

class core : public std::enable_shared_from_this<core> {
 public:
  core(process_options opt, agent_env env)
      : opt_(std::move(opt)),
        env_(std::move(env)),
        strand_(env_.rt->make_strand()),
        backoff_(opt_.backoff),
        restart_timer_(*env_.rt, strand_),
        stable_timer_(*env_.rt, strand_),
        eof_timer_(*env_.rt, strand_) {}

  bool at_capacity() {
    std::lock_guard lock(mu_);
    return in_flight_.size() >= opt_.max_in_flight;
  }
  bool start(const std::string& turn, const std::string& request, std::string& error_text) {
    std::lock_guard lock(mu_);
    if (state_ == state::stopped) {
      error_text = "The agent is stopping; please ask again in a moment.";
      return false;
    }
    if (state_ == state::backoff) {
      error_text = "The agent process " + last_death_ + "; it is restarting, try again in " +
                   std::to_string(ceil_seconds(restart_at_ - steady::now())) + " s.";
      return false;
    }
    if (in_flight_.size() >= opt_.max_in_flight) {
      error_text = "The agent is busy with " + std::to_string(in_flight_.size()) +
                   " other messages; please try again in a moment.";
      return false;
    }
    if (request.find('\n') != std::string::npos) {  // serialized JSON never has a raw newline
      error_text = "The request could not be passed to the agent process.";
      return false;
    }
    if (state_ == state::idle) spawn_locked();
    // A process that could not start accepts (and drops) the line: its on_exit fails the turn.
    if (!child_->write(request + "\n")) {
      error_text =
          "The agent process is not reading its input fast enough; please try again in "
          "a moment.";
      return false;
    }
    in_flight_.insert(turn);
    return true;
  }

  void cancel(const std::string& turn) {
    std::lock_guard lock(mu_);
    if (!in_flight_.erase(turn)) return;
    if (opt_.send_cancel && state_ == state::running && child_)
      child_->write(json::serialize(json::object{{"turn", turn}, {"cancel", true}}) + "\n");
  }

  // Deliberate: nothing is notified. The child gets SIGTERM, then SIGKILL after the grace.
  void stop() {
    std::lock_guard lock(mu_);
    if (state_ == state::stopped) return;
    const bool was_running = state_ == state::running;
    state_ = state::stopped;
    in_flight_.clear();
    restart_timer_.cancel();
    stable_timer_.cancel();
    eof_timer_.cancel();
    if (child_) {
      child_->cancel();
      child_->close_stdin();
      child_->terminate(opt_.stop_grace);
    }
    if (was_running) {
      spdlog::info("agent {}: stopping its process (SIGTERM, SIGKILL after {} ms)", env_.name,
                   opt_.stop_grace.count());
    }
  }

 private:
  enum class state { idle, running, backoff, stopped };

  template <class F>
  auto guarded(uint64_t gen, F fn) {
    return [w = weak_from_this(), gen, fn](auto&&... args) {
      if (auto self = w.lock()) (self.get()->*fn)(gen, std::forward<decltype(args)>(args)...);
    };
  }

  void spawn_locked() {
    const uint64_t gen = ++gen_;
    kit::child_options co;
    co.argv = opt_.argv;
    co.env = opt_.env;
    co.cwd = opt_.cwd;
    co.max_line_bytes = opt_.max_line_bytes;
    co.kill_grace = opt_.stop_grace;
    kit::child_events ev;
    ev.on_line = guarded(gen, &core::on_line);
    ev.on_overlong_line = guarded(gen, &core::on_overlong);
    ev.on_closed = guarded(gen, &core::on_closed);
    ev.on_stdin_error = guarded(gen, &core::on_stdin_error);
    ev.on_exit = guarded(gen, &core::on_exit);
    child_ = kit::child_process::spawn(*env_.rt, strand_, std::move(co), std::move(ev));
    state_ = state::running;
    kill_reason_.clear();
    if (!child_->spawn_error().empty()) return;  // on_exit follows
    spdlog::info("agent {}: started process {} ({})", env_.name, child_->pid(), opt_.argv[0]);
    stable_timer_.after(opt_.reset_after, [w = weak_from_this(), gen](bool cancelled) {
      if (auto self = w.lock(); self && !cancelled) self->on_stable(gen);
    });
  }

  bool current(uint64_t gen) const { return gen == gen_ && state_ == state::running; }

  void on_line(uint64_t gen, kit::child_stream stream, std::string line) {
    {
      std::lock_guard lock(mu_);
      if (!current(gen)) return;
      if (stream == kit::child_stream::err) return log_stderr_locked(line);
      if (!accept_locked(line)) return;
    }
    env_.deliver(std::move(line));
  }

  // Whether a stdout line goes to the router; ends the turn's tracking on its terminal line.
  bool accept_locked(const std::string& line) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) return false;
    auto r = turns::parse_thread_response(line);
    if (!r.value) {
      spdlog::warn("agent {}: dropped a line from the process ({}): {}", env_.name, r.error,
                   excerpt(line, bad_line_excerpt));
      return false;
    }
    auto it = in_flight_.find(r.value->turn);
    if (it == in_flight_.end()) {
      spdlog::warn("agent {}: dropped a line for turn '{}', which is not in flight", env_.name,
                   excerpt(r.value->turn, 80));
      return false;
    }
    if (r.value->terminal()) in_flight_.erase(it);
    return true;
  }

  void log_stderr_locked(const std::string& line) {
    const auto now = steady::now();
    if (now - stderr_window_start_ >= stderr_window) {
      flush_stderr_count_locked();
      stderr_window_start_ = now;
      stderr_logged_ = 0;
    }
    if (stderr_logged_ < stderr_burst) {
      ++stderr_logged_;
      spdlog::warn("agent {} (stderr): {}", env_.name, excerpt(line, stderr_excerpt));
    } else {
      ++stderr_suppressed_;
    }
  }

  void flush_stderr_count_locked() {
    if (stderr_suppressed_ > 0)
      spdlog::warn("agent {}: {} more stderr line(s) of the process were not logged", env_.name,
                   stderr_suppressed_);
    stderr_suppressed_ = 0;
  }

  void on_overlong(uint64_t gen, kit::child_stream stream, std::size_t max) {
    std::lock_guard lock(mu_);
    if (!current(gen)) return;
    spdlog::warn("agent {}: the process wrote a line of more than {} bytes on {}; dropped",
                 env_.name, max, stream == kit::child_stream::out ? "stdout" : "stderr");
  }

  void on_closed(uint64_t gen, kit::child_stream stream, const std::string& error) {
    std::lock_guard lock(mu_);
    if (!current(gen) || stream != kit::child_stream::out) return;
    // Usually the exit follows at once; a process that lives on without stdout cannot answer.
    eof_timer_.after(eof_grace, [w = weak_from_this(), gen, error](bool cancelled) {
      auto self = w.lock();
      if (!self || cancelled) return;
      std::lock_guard self_lock(self->mu_);
      if (!self->current(gen)) return;
      spdlog::warn("agent {}: the process closed its stdout{}{} but keeps running; stopping it",
                   self->env_.name, error.empty() ? "" : ": ", error);
      self->kill_reason_ = "closed its output";
      self->child_->terminate(self->opt_.stop_grace);
    });
  }

  void on_stdin_error(uint64_t gen, const std::string& error) {
    std::lock_guard lock(mu_);
    if (!current(gen)) return;
    spdlog::warn("agent {}: cannot write to the process ({}); stopping it", env_.name, error);
    kill_reason_ = "stopped reading its input";
    child_->terminate(opt_.stop_grace);
  }

  void on_exit(uint64_t gen, const kit::child_exit& x) {
    std::vector<std::string> failed;
    std::string user_text, health;
    {
      std::lock_guard lock(mu_);
      if (!current(gen)) return;
      stable_timer_.cancel();
      eof_timer_.cancel();
      flush_stderr_count_locked();
      last_death_ =
          x.signal > 0 && !kill_reason_.empty() ? kill_reason_ + " and was stopped" : x.describe();
      user_text = x.spawned()
                      ? "The agent process " + last_death_ + " before finishing this answer."
                      : "The agent process " + last_death_ + ".";
      failed.assign(in_flight_.begin(), in_flight_.end());
      in_flight_.clear();

      const auto now = steady::now();
      deaths_.push_back(now);
      while (!deaths_.empty() && now - deaths_.front() > opt_.crash_loop_window)
        deaths_.pop_front();
      const ms delay = backoff_.next();
      state_ = state::backoff;
      restart_at_ = now + delay;
      restart_timer_.after(delay, [w = weak_from_this(), gen](bool cancelled) {
        if (auto self = w.lock(); self && !cancelled) self->on_restart_due(gen);
      });
      if (x.spawned())
        spdlog::warn("agent {}: the process {}; {} turn(s) in flight failed; restarting in {} ms",
                     env_.name, last_death_, failed.size(), delay.count());
      else
        spdlog::error("agent {}: cannot start '{}': {}; {} turn(s) failed; retrying in {} ms",
                      env_.name, opt_.argv[0], x.spawn_error, failed.size(), delay.count());
      if (static_cast<int>(deaths_.size()) >= opt_.crash_loop_restarts) {
        health = "crash loop: " + (x.spawned() ? "the process " : std::string()) + last_death_ +
                 ", " + std::to_string(deaths_.size()) + " restarts in " +
                 std::to_string(ceil_seconds(opt_.crash_loop_window)) + " s, next try in " +
                 std::to_string(ceil_seconds(delay)) + " s";
        health_reported_ = true;
      }
    }
    for (auto& turn : failed) env_.fail(std::move(turn), user_text);
    if (!health.empty() && env_.report_health) env_.report_health(health);
  }

  void on_restart_due(uint64_t gen) {
    std::lock_guard lock(mu_);
    if (state_ != state::backoff || gen != gen_) return;
    spawn_locked();
  }

  // The process stayed up long enough: the next death starts from the initial delay again.
  void on_stable(uint64_t gen) {
    bool clear = false;
    {
      std::lock_guard lock(mu_);
      if (!current(gen)) return;
      backoff_.reset();
      deaths_.clear();
      clear = std::exchange(health_reported_, false);
    }
    if (clear && env_.report_health) env_.report_health("");
  }

  process_options opt_;
  agent_env env_;
  kit::strand strand_;
  std::mutex mu_;
  state state_ = state::idle;
  uint64_t gen_ = 0;
  std::unique_ptr<kit::child_process> child_;
  std::set<std::string> in_flight_;
  std::string kill_reason_;  // why we stopped the current incarnation ourselves
  std::string last_death_;   // e.g. "exited with code 3"
  common::backoff backoff_;
  steady::time_point restart_at_{};
  std::deque<steady::time_point> deaths_;  // within crash_loop_window
  bool health_reported_ = false;
  steady::time_point stderr_window_start_{};
  int stderr_logged_ = 0;
  long long stderr_suppressed_ = 0;
  kit::timer restart_timer_, stable_timer_, eof_timer_;
};

class process_agent final : public agent {
 public:
  explicit process_agent(std::shared_ptr<core> c) : core_(std::move(c)) {}
  ~process_agent() override { core_->stop(); }
  bool start(const std::string& turn_id, const std::string& request_json,
             std::string& error_text) override {
    return core_->start(turn_id, request_json, error_text);
  }
  void cancel(const std::string& turn_id) override { core_->cancel(turn_id); }
  void stop() override { core_->stop(); }
  bool at_capacity() const override { return core_->at_capacity(); }

 private:
  std::shared_ptr<core> core_;
};

}  // namespace

std::unique_ptr<agent> make_process_agent(std::string_view options_json, agent_env env,
                                          std::string& error) {
  auto opt = parse_process_options(options_json, error);
  if (!error.empty()) return nullptr;
  if (!env.rt) {
    error = "process agent: no I/O runtime";
    return nullptr;
  }
  return std::make_unique<process_agent>(std::make_shared<core>(std::move(opt), std::move(env)));
}

}  // namespace patchbay::agents
