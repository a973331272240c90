// Helpers for the process agent tests: an agent_env that records what the agent delivers and
// fails (thread-safe; waits are bounded), a spdlog sink that keeps the log lines, and the paths
// of the test scripts. No mocks of the transport: the child processes are real.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agents/agent.hpp"
#include "patchbay/kit/runtime.hpp"

namespace proctest {
using namespace std::chrono_literals;

// The test scripts' directory is the test program's PB_PROC_SCRIPTS
// (tests/host/agents/process/scripts), not this library's: it has none.
#ifdef PB_PROC_SCRIPTS
inline std::string script(const std::string& name) {
  return std::string(PB_PROC_SCRIPTS) + "/" + name;
}
#endif

// One thing the agent told the host, in order: delta, content, done, error (payload fields) or
// fail (env.fail).
struct event {
  std::string kind, turn, text;
};

class recorder {
 public:
  patchbay::agents::agent_env env(patchbay::kit::io_runtime& rt, const std::string& name = "proc");
  std::vector<event> events() const;
  std::vector<event> events_of(const std::string& turn) const;
  std::vector<std::string> health() const;
  std::vector<std::string> payloads() const;  // raw deliver() arguments
  // Concatenated deltas of a turn.
  std::string answer(const std::string& turn) const;
  // done + error + fail events of a turn.
  int terminals(const std::string& turn) const;
  // The text of the turn's fail event ("" if none).
  std::string failure(const std::string& turn) const;
  // Waits (bounded) until `pred` holds; re-checked on each recorded event.
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 15s) const;
  bool wait_terminal(const std::string& turn, std::chrono::milliseconds timeout = 15s) const {
    return wait([&] { return terminals(turn) > 0; }, timeout);
  }

 private:
  void add(event e);
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<event> events_;
  std::vector<std::string> health_, payloads_;
};

// Keeps every log line (message text with its level) for assertions; installed as the default
// logger's only sink while alive.
class log_capture {
 public:
  log_capture();
  ~log_capture();
  std::string text() const;
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout = 15s) const;

 private:
  struct sink;
  std::shared_ptr<sink> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Whether a process with this pid still runs (a zombie counts as gone).
bool process_alive(int pid);
// Polls (bounded) until the process is gone.
bool wait_gone(int pid, std::chrono::milliseconds timeout = 15s);

}  // namespace proctest
