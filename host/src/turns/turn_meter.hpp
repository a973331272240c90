// The router's turns as metrics (metrics::turn_metrics and agent errors): started, finished by
// outcome, refused, time to first output and duration (both from admission), and the agent errors
// the router sees (error answers, timeouts, turns that could not start). An agent backend's own
// failures (env.fail) are counted by the turn service, which knows them apart from other fail()s.
//
// Threading: a router observer, called on the router's executor only.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "metrics/registry.hpp"
#include "turns/router.hpp"

namespace patchbay::turns {

class turn_meter final : public turn_observer {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;
  // `now` defaults to steady_clock::now (tests inject theirs).
  explicit turn_meter(metrics::registry& m, clock_fn now = {});

  void refused(const turn_spec& t) override;
  void admitted(const turn_spec& t) override;
  void first_output(const turn_spec& t) override;
  void ended(const turn_spec& t, turn_end how) override;

  // The agent's error counters (looked up in the registry once per agent name).
  metrics::agent_counters& agent(const std::string& name);

 private:
  metrics::registry& m_;
  clock_fn now_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> admitted_at_;
  std::map<std::string, std::shared_ptr<metrics::agent_counters>> agents_;
};

}  // namespace patchbay::turns
