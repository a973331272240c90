// The built-in `echo` agent (the embedded default): streams the user's text back in several
// deltas, one every `delay`, then completes. A message starting with "fail:" fails mid-stream
// (after the first delta) with a user-facing error, so demos and tests can show both paths.
// Options (agents.<name> in the config): {"delay_ms": 40, "chunks": 4, "fail_prefix": "fail:"}.
// Threading: runs on the router's scheduler; answers through the `deliver` callback.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "turns/router.hpp"

namespace patchbay::agents {

struct echo_options {
  std::chrono::milliseconds delay{40};
  int chunks = 4;
  std::string fail_prefix = "fail:";
};

// Parses the agent's options JSON; unknown keys or wrong types are reported in `error`.
echo_options parse_echo_options(std::string_view options_json, std::string& error);

class echo_agent {
 public:
  using deliver_fn = std::function<void(const std::string& payload_json)>;
  echo_agent(turns::scheduler& sched, echo_options opt, deliver_fn deliver);
  ~echo_agent();

  // `text` is the user's message of turn `turn_id`.
  void start(const std::string& turn_id, const std::string& text);
  void cancel(const std::string& turn_id);

 private:
  void step(const std::string& turn_id);
  struct run {
    std::vector<std::string> pieces;
    size_t next = 0;
    bool fail = false;
    uint64_t timer = 0;
  };
  turns::scheduler& sched_;
  echo_options opt_;
  deliver_fn deliver_;
  std::map<std::string, run> runs_;
};

}  // namespace patchbay::agents
