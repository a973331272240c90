// The process agent against real child processes (tests/host/agents/process/scripts): answers,
// interleaving, every way a child can die (at start, before spawning, mid-turn, after the reply,
// cleanly, by a signal, by closing its output), bad output, deliberate stop, cancel, limits,
// restart backoff and the crash-loop health report (scaled timings through the options).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "agents/backends.hpp"
#include "process_test_support.hpp"

namespace {
using namespace std::chrono_literals;
namespace json = boost::json;
using proctest::script;

std::string agent_py_options(const std::string& extra = "") {
  return R"({"command": ["python3", ")" + script("agent.py") + R"("])" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

struct ProcessAgent : ::testing::Test {
  patchbay::kit::io_runtime rt{2};
  proctest::recorder rec;
  proctest::log_capture logs;
  std::unique_ptr<patchbay::agents::agent> agent;
  std::string last_error;

  void make(const std::string& options_json) {
    std::string err;
    agent = patchbay::agents::make_process_agent(options_json, rec.env(rt), err);
    ASSERT_TRUE(agent) << err;
  }
  bool start(const std::string& turn, const std::string& text) {
    last_error.clear();
    auto req =
        json::serialize(json::object{{"turn", turn}, {"thread", "th-" + turn}, {"text", text}});
    return agent->start(turn, req, last_error);
  }
  void TearDown() override {
    if (agent) agent->stop();
    rt.stop();  // the agent is destroyed after its runtime stopped, as in the host
    agent.reset();
  }
};

TEST_F(ProcessAgent, AnswersSeveralTurnsInterleaved) {
  make(agent_py_options());
  ASSERT_TRUE(start("t1", "hold"));
  ASSERT_TRUE(start("t2", "hold"));
  ASSERT_TRUE(start("t3", "hello"));
  for (auto t : {"t1", "t2", "t3"}) ASSERT_TRUE(rec.wait_terminal(t)) << t;
  EXPECT_EQ(rec.answer("t1"), "you said hold");
  EXPECT_EQ(rec.answer("t2"), "you said hold");
  EXPECT_EQ(rec.answer("t3"), "you said hello");
  // The answers really interleave: t3 streamed before t1 finished streaming.
  auto ev = rec.events();
  auto pos = [&](const std::string& turn, const std::string& kind, bool last) {
    int found = -1;
    for (int i = 0; i < static_cast<int>(ev.size()); ++i)
      if (ev[i].turn == turn && ev[i].kind == kind && (found < 0 || last)) found = i;
    return found;
  };
  EXPECT_LT(pos("t3", "delta", false), pos("t1", "delta", true));
  for (auto t : {"t1", "t2", "t3"}) {
    EXPECT_EQ(rec.terminals(t), 1) << t;
    EXPECT_EQ(rec.failure(t), "") << t;
  }
  // The same process answers the next turn.
  ASSERT_TRUE(start("t4", "again"));
  ASSERT_TRUE(rec.wait_terminal("t4"));
  EXPECT_EQ(rec.answer("t4"), "you said again");
  EXPECT_EQ(logs.text().find("started process"), logs.text().rfind("started process"));
}

TEST_F(ProcessAgent, CrashAtStartFailsTheTurnOnceThenRefusesWhileRestarting) {
  make(R"({"command": ["sh", ")" + script("crash_at_start.sh") +
       R"("], "restart_backoff": {"initial_ms": 60000, "jitter": 0}})");
  ASSERT_TRUE(start("t1", "hi"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  EXPECT_EQ(rec.failure("t1"),
            "The agent process exited with code 1 before finishing this answer.");
  EXPECT_FALSE(start("t2", "hi again"));
  // "... in 60 s." unless this machine is very slow: the seconds left are counted down.
  EXPECT_TRUE(std::regex_match(
      last_error, std::regex("The agent process exited with code 1; it is restarting, try again "
                             "in [1-6]?[0-9] s\\.")))
      << last_error;
  EXPECT_TRUE(logs.wait_for("agent proc (stderr): crash_at_start: giving up")) << logs.text();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(rec.terminals("t1"), 1);
  EXPECT_TRUE(rec.events_of("t2").empty());
}

TEST_F(ProcessAgent, MissingCommandFailsTheTurnNamingTheReason) {
  make(R"({"command": "/nonexistent/patchbay-agent", "restart_backoff": {"initial_ms": 60000}})");
  ASSERT_TRUE(start("t1", "hi"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  EXPECT_EQ(rec.failure("t1"),
            "The agent process could not be started: No such file or directory.");
  EXPECT_EQ(rec.terminals("t1"), 1);
  EXPECT_NE(logs.text().find("cannot start '/nonexistent/patchbay-agent'"), std::string::npos)
      << logs.text();
}

TEST_F(ProcessAgent, NonExecutableCommandIsPermissionDenied) {
  auto path =
      std::filesystem::temp_directory_path() / ("pb_agent_noexec_" + std::to_string(::getpid()));
  std::ofstream(path) << "#!/bin/sh\nexit 0\n";
  ::chmod(path.c_str(), 0644);
  make(R"({"command": ")" + path.string() + R"("})");
  ASSERT_TRUE(start("t1", "hi"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  std::filesystem::remove(path);
  EXPECT_EQ(rec.failure("t1"), "The agent process could not be started: Permission denied.");
}

TEST_F(ProcessAgent, CrashMidTurnFailsOnceAfterTheDelta) {
  make(agent_py_options());
  ASSERT_TRUE(start("t1", "crash-mid:3"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  EXPECT_EQ(rec.answer("t1"), "partial ");
  EXPECT_EQ(rec.failure("t1"),
            "The agent process exited with code 3 before finishing this answer.");
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(rec.terminals("t1"), 1);
}

TEST_F(ProcessAgent, CrashAfterTheReplyLeavesTheFinishedTurnAlone) {
  make(agent_py_options());
  ASSERT_TRUE(start("t1", "hold"));  // still in flight when the process dies
  ASSERT_TRUE(start("t2", "crash-after"));
  ASSERT_TRUE(rec.wait_terminal("t1"));  // handled in the same step as the death
  EXPECT_EQ(rec.failure("t1"),
            "The agent process exited with code 3 before finishing this answer.");
  EXPECT_EQ(rec.answer("t2"), "complete answer");
  EXPECT_EQ(rec.terminals("t2"), 1);
  EXPECT_EQ(rec.failure("t2"), "");
}

TEST_F(ProcessAgent, CleanExitWithATurnInFlightIsStillAFailure) {
  make(agent_py_options());
  ASSERT_TRUE(start("t1", "hold"));
  ASSERT_TRUE(start("t2", "exit0"));
  ASSERT_TRUE(rec.wait([&] { return rec.terminals("t1") + rec.terminals("t2") == 2; }));
  EXPECT_EQ(rec.failure("t1"),
            "The agent process exited with code 0 before finishing this answer.");
  EXPECT_EQ(rec.failure("t2"), rec.failure("t1"));
}

TEST_F(ProcessAgent, KilledBySignalNamesTheSignal) {
  make(agent_py_options());
  ASSERT_TRUE(start("t1", "kill9"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  EXPECT_EQ(rec.answer("t1"), "partial ");
  EXPECT_EQ(rec.failure("t1"),
            "The agent process was killed by signal 9 (SIGKILL) before finishing this answer.");
}

TEST_F(ProcessAgent, ClosedOutputWhileRunningIsStoppedAndNamed) {
  make(agent_py_options(R"("stop_grace_ms": 200)"));
  ASSERT_TRUE(start("t1", "close-stdout"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  EXPECT_EQ(rec.failure("t1"),
            "The agent process closed its output and was stopped before finishing this answer.");
}

TEST_F(ProcessAgent, GarbageLinesAreLoggedAndDropped) {
  make(agent_py_options());
  ASSERT_TRUE(start("t1", "garbage"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  EXPECT_EQ(rec.answer("t1"), "you said garbage");
  EXPECT_EQ(rec.terminals("t1"), 1);
  for (const auto& e : rec.events()) EXPECT_EQ(e.turn, "t1") << e.kind << " " << e.text;
  auto log = logs.text();
  EXPECT_NE(log.find("dropped a line from the process (malformed JSON"), std::string::npos) << log;
  EXPECT_NE(log.find("this is not json"), std::string::npos);
  EXPECT_NE(log.find("dropped a line for turn 'no-such-turn', which is not in flight"),
            std::string::npos);
  EXPECT_NE(log.find("`turn` is required"), std::string::npos);
  ASSERT_TRUE(start("t2", "still fine"));  // the same process keeps serving
  ASSERT_TRUE(rec.wait_terminal("t2"));
  EXPECT_EQ(rec.answer("t2"), "you said still fine");
}

TEST_F(ProcessAgent, HugeLineIsDroppedAndTheTurnGoesOn) {
  make(agent_py_options(R"("max_line_bytes": 4096)"));
  ASSERT_TRUE(start("t1", "huge:300000"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  EXPECT_EQ(rec.answer("t1"), "you said huge:300000");
  EXPECT_TRUE(logs.wait_for("line of more than 4096 bytes on stdout; dropped")) << logs.text();
}

TEST_F(ProcessAgent, StderrIsLoggedTruncatedAndRateLimited) {
  make(agent_py_options());
  ASSERT_TRUE(start("t1", "stderr:50"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  ASSERT_TRUE(start("t2", "exit0"));  // the death reports what was not logged
  ASSERT_TRUE(rec.wait_terminal("t2"));
  ASSERT_TRUE(logs.wait_for("more stderr line(s)"));
  auto log = logs.text();
  EXPECT_NE(log.find("warning: agent proc (stderr): long yyyy"), std::string::npos) << log;
  EXPECT_NE(log.find("…(5005 bytes)"), std::string::npos);
  EXPECT_EQ(log.find(std::string(1000, 'y')), std::string::npos);  // truncated
  EXPECT_NE(log.find("stderr line 18\n"), std::string::npos);
  EXPECT_EQ(log.find("stderr line 19\n"), std::string::npos);  // 20 per window
  EXPECT_NE(log.find("agent proc: 31 more stderr line(s) of the process were not logged"),
            std::string::npos);
}

TEST_F(ProcessAgent, DeliberateStopNotifiesNothingAndEndsTheProcess) {
  make(agent_py_options());
  ASSERT_TRUE(start("t0", "pid"));
  ASSERT_TRUE(rec.wait_terminal("t0"));
  const int pid = std::stoi(rec.events_of("t0").front().text);
  ASSERT_TRUE(start("t1", "hold"));
  ASSERT_TRUE(start("t2", "hold"));
  agent->stop();
  EXPECT_TRUE(proctest::wait_gone(pid));
  std::this_thread::sleep_for(100ms);  // anything the death would have caused has run by now
  EXPECT_TRUE(rec.events_of("t1").empty());
  EXPECT_TRUE(rec.events_of("t2").empty());
  EXPECT_FALSE(start("t3", "hi"));
  EXPECT_NE(last_error.find("stopping"), std::string::npos);
}

TEST_F(ProcessAgent, DeliberateStopEscalatesToSigkillForAProcessIgnoringSigterm) {
  make(R"({"command": ["python3", ")" + script("agent.py") +
       R"(", "ignore-term"], "stop_grace_ms": 200})");
  ASSERT_TRUE(start("t0", "pid"));
  ASSERT_TRUE(rec.wait_terminal("t0"));
  const int pid = std::stoi(rec.events_of("t0").front().text);
  ASSERT_TRUE(start("t1", "hold"));
  agent->stop();
  EXPECT_TRUE(proctest::wait_gone(pid));
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(rec.events_of("t1").empty());
}

TEST_F(ProcessAgent, MaxInFlightRefusesAtOnce) {
  make(agent_py_options(R"("max_in_flight": 2)"));
  ASSERT_TRUE(start("t1", "hold"));
  ASSERT_TRUE(start("t2", "hold"));
  EXPECT_FALSE(start("t3", "one too many"));
  EXPECT_NE(last_error.find("busy"), std::string::npos) << last_error;
  agent->cancel("t1");
  EXPECT_TRUE(start("t3", "fits again"));
  ASSERT_TRUE(rec.wait_terminal("t3"));
}

TEST_F(ProcessAgent, CancelForgetsTheTurnAndTellsTheProcess) {
  make(agent_py_options());
  ASSERT_TRUE(start("t1", "hold"));
  agent->cancel("t1");
  ASSERT_TRUE(start("t2", "cancelled?"));
  ASSERT_TRUE(rec.wait_terminal("t2"));
  EXPECT_EQ(rec.events_of("t2").front().text, "t1");
  ASSERT_TRUE(start("t3", "go"));  // the process now answers held t1 too: dropped
  ASSERT_TRUE(rec.wait_terminal("t3"));
  EXPECT_TRUE(rec.events_of("t1").empty());
  EXPECT_TRUE(logs.wait_for("dropped a line for turn 't1', which is not in flight"));
}

TEST_F(ProcessAgent, RestartsWithBackoffReportsACrashLoopAndRecovers) {
  auto marker =
      std::filesystem::temp_directory_path() / ("pb_agent_ok_" + std::to_string(::getpid()));
  std::filesystem::remove(marker);
  make(R"({"command": ["sh", ")" + script("crash_until.sh") + R"(", ")" + marker.string() +
       R"("], "restart_backoff": {"initial_ms": 20, "cap_ms": 40, "jitter": 0,
       "reset_after_ms": 300}, "crash_loop": {"restarts": 3, "window_ms": 60000}})");
  ASSERT_TRUE(start("t1", "hi"));
  ASSERT_TRUE(rec.wait_terminal("t1"));
  EXPECT_EQ(rec.failure("t1"),
            "The agent process exited with code 1 before finishing this answer.");
  // No turn needed: the agent restarts the process itself, and sees the loop.
  ASSERT_TRUE(rec.wait([&] { return !rec.health().empty(); }));
  EXPECT_EQ(rec.health().front(),
            "crash loop: the process exited with code 1, 3 restarts in 60 s, next try in 1 s");
  std::ofstream(marker) << "ok";
  // A turn that lands on a last crashing incarnation fails; one on the healthy one is answered.
  bool answered = false;
  for (int i = 0; i < 500 && !answered; ++i) {
    std::string turn = "r" + std::to_string(i);
    if (!start(turn, "back")) {
      EXPECT_NE(last_error.find("restarting, try again in"), std::string::npos) << last_error;
      std::this_thread::sleep_for(10ms);
      continue;
    }
    ASSERT_TRUE(rec.wait_terminal(turn));
    answered = rec.answer(turn) == "you said back";
  }
  std::filesystem::remove(marker);
  ASSERT_TRUE(answered);
  // Up long enough (reset_after_ms): the health problem is cleared.
  ASSERT_TRUE(rec.wait([&] { return rec.health().back().empty(); }));
}

TEST(ProcessAgentOptions, BadOptionsAreRefusedNamingTheOptionNotItsValue) {
  patchbay::kit::io_runtime rt(1);
  proctest::recorder rec;
  auto build = [&](const std::string& json_text) {
    std::string err;
    auto a = patchbay::agents::make_process_agent(json_text, rec.env(rt), err);
    EXPECT_FALSE(a) << json_text;
    return err;
  };
  EXPECT_NE(build("{}").find("'command' is required"), std::string::npos);
  EXPECT_NE(build(R"({"command": "x", "bogus": 1})").find("unknown option 'bogus'"),
            std::string::npos);
  EXPECT_NE(build(R"({"command": "x", "max_in_flight": 0})").find("max_in_flight"),
            std::string::npos);
  EXPECT_NE(build(R"({"command": "x", "restart_backoff": {"initial_ms": "soon"}})")
                .find("restart_backoff.initial_ms"),
            std::string::npos);
  EXPECT_NE(
      build(R"({"command": "x", "crash_loop": {"restarts": -1}})").find("crash_loop.restarts"),
      std::string::npos);
  auto secret = build(R"({"command": "x", "env": {"TOKEN": {"nested": "s3cr3t-value"}}})");
  EXPECT_NE(secret.find("env.TOKEN"), std::string::npos) << secret;
  EXPECT_EQ(secret.find("s3cr3t"), std::string::npos);
  std::string err;
  EXPECT_TRUE(patchbay::agents::make_process_agent(
      R"({"command": ["python3", "bot.py"], "args": ["--n", 3], "env": {"PORT": 8080},
          "cwd": "/tmp", "send_cancel": false, "stop_grace_ms": 0})",
      rec.env(rt), err))
      << err;
}

}  // namespace
