// Test rig for the HTTP-based agent backends (`http`, `openai`): the real backend built through the
// factory on a real kit runtime, its env.deliver / env.fail recorded (thread-safe) so tests can
// wait for a turn's terminal and check there was exactly one; the spdlog output captured so tests
// can check what the operator sees (and that no secret is in it). Header-only; used by the tests
// in tests/host/agents/http and tests/host/agents/openai.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "agents/agent.hpp"
#include "config/config.hpp"
#include "patchbay/kit/runtime.hpp"
#include "state/store.hpp"
#include "turns/thread_response.hpp"

namespace agent_test {
using namespace std::chrono_literals;

struct event {
  std::string turn;
  std::string kind;  // delta, content, error, done, fail
  std::string text;
};

class recorder {
 public:
  void deliver(const std::string& payload) {
    auto r = patchbay::turns::parse_thread_response(payload);
    std::lock_guard lock(mtx_);
    if (!r.value) {
      events_.push_back({"?", "invalid", r.error});
    } else {
      const auto& v = *r.value;
      if (v.delta) events_.push_back({v.turn, "delta", *v.delta});
      if (v.content) events_.push_back({v.turn, "content", *v.content});
      if (v.error) events_.push_back({v.turn, "error", *v.error});
      if (v.done) events_.push_back({v.turn, "done", ""});
    }
    cv_.notify_all();
  }
  void fail(const std::string& turn, const std::string& text) {
    std::lock_guard lock(mtx_);
    events_.push_back({turn, "fail", text});
    cv_.notify_all();
  }

  // Waits (generous bound) until `turn` has a terminal; returns it ({} when none came).
  event wait_terminal(const std::string& turn, std::chrono::milliseconds timeout = 15s) {
    std::unique_lock lock(mtx_);
    event out;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& e : events_)
        if (e.turn == turn && is_terminal(e)) {
          out = e;
          return true;
        }
      return false;
    });
    return out;
  }
  // Waits until `turn` has at least `n` events.
  bool wait_events(const std::string& turn, std::size_t n,
                   std::chrono::milliseconds timeout = 15s) {
    std::unique_lock lock(mtx_);
    return cv_.wait_for(lock, timeout, [&] { return count_locked(turn, false) >= n; });
  }
  std::string text(const std::string& turn) {
    std::lock_guard lock(mtx_);
    std::string s;
    for (const auto& e : events_)
      if (e.turn == turn && e.kind == "delta") s += e.text;
    return s;
  }
  std::size_t terminals(const std::string& turn) {
    std::lock_guard lock(mtx_);
    return count_locked(turn, true);
  }
  std::size_t count(const std::string& turn) {
    std::lock_guard lock(mtx_);
    return count_locked(turn, false);
  }
  std::vector<event> all() {
    std::lock_guard lock(mtx_);
    return events_;
  }

 private:
  static bool is_terminal(const event& e) {
    return e.kind == "error" || e.kind == "done" || e.kind == "fail";
  }
  std::size_t count_locked(const std::string& turn, bool terminal_only) const {
    std::size_t n = 0;
    for (const auto& e : events_)
      if (e.turn == turn && (!terminal_only || is_terminal(e))) ++n;
    return n;
  }
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<event> events_;
};

// Captures spdlog's default logger for the rig's lifetime.
class log_capture {
 public:
  log_capture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("agent-test", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~log_capture() { spdlog::set_default_logger(previous_); }
  std::string text() {
    spdlog::default_logger()->flush();
    return out_.str();
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

struct agent_rig {
  agent_rig(const std::string& type, const std::string& options_json,
            patchbay::state::store* store = nullptr, const std::string& name = "test-agent")
      : rt(2) {
    patchbay::agents::agent_env env;
    env.rt = &rt;
    env.store = store;
    env.name = name;
    env.deliver = [this](std::string p) { rec.deliver(p); };
    env.fail = [this](std::string turn, std::string text) { rec.fail(turn, text); };
    env.report_health = [](std::string) {};
    patchbay::config::agent_config cfg{name, type, options_json, {}};
    agent = patchbay::agents::make_agent(cfg, std::move(env), error);
  }
  ~agent_rig() {
    if (agent) agent->stop();
    rt.stop();
    agent.reset();
  }

  // Starts a turn with a request JSON like the turn service's.
  bool start(const std::string& turn, const std::string& text, const std::string& thread = "t1") {
    std::string err;
    const std::string req = boost::json::serialize(boost::json::object{
        {"turn", turn}, {"thread", thread}, {"channel", "api"}, {"text", text}});
    const bool ok = agent->start(turn, req, err);
    if (!ok) rec.fail(turn, "start refused: " + err);
    return ok;
  }

  log_capture logs;  // first: outlives the runtime's callbacks
  patchbay::kit::io_runtime rt;
  recorder rec;
  std::string error;
  std::unique_ptr<patchbay::agents::agent> agent;
};

}  // namespace agent_test
