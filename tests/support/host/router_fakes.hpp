// Test doubles for the turn router and the host parts on its scheduler (the router, turn meter,
// typing keeper, media service and outbound worker tests): a manual scheduler standing in for the
// strand (time advances only when told), an output recording what it receives, and agents that
// start (or refuse) turns and record cancels. Header-only (tests/host adds this folder to its
// include path).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "turns/router.hpp"

namespace router_fakes {
using namespace patchbay::turns;

class manual_scheduler final : public scheduler {
 public:
  int64_t now = 0;
  std::map<uint64_t, std::pair<int64_t, std::function<void()>>> timers;
  uint64_t next = 1;
  uint64_t schedule(std::chrono::milliseconds d, std::function<void()> fn) override {
    timers[next] = {now + d.count(), std::move(fn)};
    return next++;
  }
  void cancel(uint64_t id) override { timers.erase(id); }
  void advance(int64_t ms) {
    now += ms;
    for (bool fired = true; fired;) {
      fired = false;
      for (auto it = timers.begin(); it != timers.end(); ++it)
        if (it->second.first <= now) {
          auto fn = std::move(it->second.second);
          timers.erase(it);
          fn();
          fired = true;
          break;
        }
    }
  }
};

struct events {
  std::vector<std::string> log;  // "delta:x", "content:x", "ephemeral:x", "error:x", "complete"
};

class recording_output final : public turn_output {
 public:
  explicit recording_output(events& e) : e_(e) {}
  void delta(std::string_view t) override { e_.log.push_back("delta:" + std::string(t)); }
  void content(std::string_view t, bool eph) override {
    e_.log.push_back((eph ? "ephemeral:" : "content:") + std::string(t));
  }
  void attachment(const attachment_spec& a) override {
    e_.log.push_back("attachment:" + a.kind + ":" + a.name);
  }
  void error(std::string_view t) override { e_.log.push_back("error:" + std::string(t)); }
  void complete() override { e_.log.push_back("complete"); }

 private:
  events& e_;
};

class fake_agents final : public agent_starter {
 public:
  std::vector<std::string> started, cancelled;
  bool refuse = false;
  bool full = false;             // at_capacity(): the agent is at its own max_in_flight
  turn_deadlines own_deadlines;  // what deadlines() answers for every turn
  bool at_capacity(const turn_spec& /*t*/) override { return full; }
  turn_deadlines deadlines(const turn_spec& /*t*/) override { return own_deadlines; }
  bool start(const turn_spec& t, std::string& err) override {
    if (refuse) {
      err = "spawn failed: no such file";
      return false;
    }
    started.push_back(t.turn_id);
    return true;
  }
  void cancel(const std::string& id) override { cancelled.push_back(id); }
};

}  // namespace router_fakes
