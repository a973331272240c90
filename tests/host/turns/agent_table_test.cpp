// The turn service's agent table across reloads: unchanged agents keep their backend, a changed
// one is replaced for new turns while its running turns finish (and are cancelled) on the old
// backend, which is stopped once they ended; a removed agent takes no new turn; the built-in
// echo stays available; names are visible to other threads through has().
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "turns/agent_table.hpp"

namespace {
using patchbay::config::agent_config;
using patchbay::turns::agent_table;

struct fake_agent final : patchbay::agents::agent {
  fake_agent(std::string tag, std::vector<std::string>& log) : tag(std::move(tag)), log(log) {}
  bool start(const std::string& turn_id, const std::string&, std::string&) override {
    log.push_back(tag + " start " + turn_id);
    return true;
  }
  void cancel(const std::string& turn_id) override { log.push_back(tag + " cancel " + turn_id); }
  void stop() override { log.push_back(tag + " stop"); }
  std::string tag;
  std::vector<std::string>& log;
};

class AgentTable : public ::testing::Test {
 protected:
  agent_table::factory factory() {
    return [this](const agent_config& a,
                  std::string& err) -> std::unique_ptr<patchbay::agents::agent> {
      ++built;
      if (a.type == "bad") {
        err = "bad options";
        return nullptr;
      }
      return std::make_unique<fake_agent>(a.name + a.options_json, log);
    };
  }
  static agent_config agent(const std::string& name, const std::string& options = "{}",
                            const std::string& type = "echo") {
    return {name, type, options, {}};
  }
  bool start(const std::string& name, const std::string& turn) {
    std::string err;
    return table.start(name, turn, "{}", err);
  }
  std::vector<std::string> log;
  std::set<std::string> running;
  int built = 0;
  agent_table table{[this](const std::string& id) { return running.count(id) != 0; }};
};

TEST_F(AgentTable, ChangedAgentServesNewTurnsWhileRunningOnesFinishOnTheOld) {
  table.configure({agent("a", R"({"x":1})")}, factory());
  EXPECT_EQ(table.default_agent(), "a");
  EXPECT_TRUE(table.has("a"));
  EXPECT_TRUE(table.has("echo"));  // built in
  ASSERT_TRUE(start("a", "t1"));
  running = {"t1"};

  // Options changed (same values in another key order would not be a change).
  table.configure({agent("a", R"({"x":2})"), agent("b")}, factory());
  ASSERT_TRUE(start("a", "t2"));
  running = {"t1", "t2"};
  table.cancel("t1");  // the router gives up on t1: the old backend hears it
  EXPECT_EQ(log, (std::vector<std::string>{R"(a{"x":1} start t1)", R"(a{"x":2} start t2)",
                                           R"(a{"x":1} cancel t1)"}));
  log.clear();
  running = {"t2"};
  EXPECT_EQ(table.sweep(), 0u);  // t1 ended: the old backend is stopped
  EXPECT_EQ(log, (std::vector<std::string>{R"(a{"x":1} stop)"}));
}

TEST_F(AgentTable, OldBackendWaitsForItsTurnsBeforeStopping) {
  table.configure({agent("a", R"({"x":1})")}, factory());
  ASSERT_TRUE(start("a", "t1"));
  running = {"t1"};
  table.configure({agent("a", R"({"x":2})")}, factory());
  EXPECT_EQ(table.sweep(), 1u);  // t1 still running on the old one
  EXPECT_EQ(std::count(log.begin(), log.end(), R"(a{"x":1} stop)"), 0);
  running.clear();
  EXPECT_EQ(table.sweep(), 0u);
  EXPECT_EQ(std::count(log.begin(), log.end(), R"(a{"x":1} stop)"), 1);
}

TEST_F(AgentTable, UnchangedKeepsItsBackendRemovedTakesNoTurn) {
  table.configure({agent("a", R"({"k":1,"j":2})"), agent("b")}, factory());
  const int before = built;
  table.configure({agent("b"), agent("a", R"({"j":2,"k":1})")}, factory());
  EXPECT_EQ(built, before);  // nothing rebuilt: same values
  EXPECT_EQ(table.default_agent(), "b");

  table.configure({agent("b")}, factory());  // a removed, no turns: stopped at once
  EXPECT_FALSE(table.has("a"));
  EXPECT_EQ(std::count(log.begin(), log.end(), R"(a{"k":1,"j":2} stop)"), 1);
  std::string err;
  EXPECT_FALSE(table.start("a", "t9", "{}", err));
  EXPECT_EQ(err, "Unknown agent 'a'.");
}

TEST_F(AgentTable, UnusableAgentIsListedWithItsProblemAndStopAllReachesRetiredOnes) {
  table.configure({agent("a"), agent("broken", "{}", "bad")}, factory());
  std::string err;
  EXPECT_TRUE(table.has("broken"));
  EXPECT_FALSE(table.start("broken", "t1", "{}", err));
  EXPECT_EQ(err, "The agent 'broken' is not available (bad options).");
  ASSERT_TRUE(start("a", "t2"));
  running = {"t2"};
  table.configure({agent("a", R"({"v":2})")}, factory());  // old a retired with t2 running
  log.clear();
  table.stop_all();
  EXPECT_EQ(std::count(log.begin(), log.end(), "a{} stop"), 1);
  EXPECT_EQ(std::count(log.begin(), log.end(), R"(a{"v":2} stop)"), 1);
}

}  // namespace
