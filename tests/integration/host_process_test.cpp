// The real `patchbay` binary with real plugin .so files: start-up, health/readiness/status over
// HTTP, a refused plugin that does not stop the others, secrets kept out of logs, SIGTERM → clean
// exit with channels stopped in reverse order.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include "child_process.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"

#include "patchbay/kit/http_client.hpp"

namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using pbtest::host_fixture;
using pbtest::secret;
using pbtest::token;

const char* mixed_channels =
    "  - id: first\n"
    "    plugin: good\n"
    "    agent: echo\n" PB_OPEN_ACCESS
    "    config: { app_secret: \"${PB_IT_SECRET}\", emit_on_start: true }\n"
    "  - id: second\n"
    "    plugin: foreign\n"
    "    agent: echo\n" PB_OPEN_ACCESS
    "  - id: broken\n"
    "    plugin: zoo_major2\n"
    "    agent: echo\n" PB_OPEN_ACCESS
    "  - id: parked\n"
    "    plugin: good\n"
    "    agent: echo\n" PB_OPEN_ACCESS "    enabled: false\n";

TEST(HostProcess, RefusedPluginDoesNotStopTheOthers) {
  host_fixture h(mixed_channels);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  EXPECT_EQ(h.get("/healthz").status, 200u);
  // Readiness: start-up completes, but `broken` never starts, so the host is not ready.
  std::this_thread::sleep_for(300ms);
  auto ready = h.get("/readyz");
  EXPECT_EQ(ready.status, 503u);
  EXPECT_NE(ready.body.find("broken refused"), std::string::npos) << ready.body;

  EXPECT_EQ(h.get("/v1/channels").status, 401u);
  std::string body;
  for (int i = 0; i < 500; ++i) {  // wait for the plugins' status reports
    body = h.get("/v1/channels", token).body;
    if (body.find("\"state\":\"connected\"") != std::string::npos &&
        body.find("\"accepted\":2") != std::string::npos)
      break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(body.find(R"("id":"first","plugin":"good","plugin_version":"1.2.3")"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"("state":"refused","reason":"ABI major mismatch)"), std::string::npos)
      << body;
  EXPECT_NE(body.find(R"("id":"parked")"), std::string::npos);
  EXPECT_NE(body.find(R"("state":"disabled")"), std::string::npos);
  EXPECT_NE(body.find(R"("accepted":2,"duplicates":1)"), std::string::npos) << body;

  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0) << h.logs();
  std::string logs = h.logs();
  // One line names the file, the reason and the fix.
  EXPECT_NE(logs.find(R"("channel":"broken","msg":"plugin refused: )" PB_ZOO_DIR
                      "/patchbay_zoo_major2.so: ABI "
                      "major mismatch"),
            std::string::npos)
      << logs;
  EXPECT_NE(logs.find("; fix: use a build of the plugin for ABI 1"), std::string::npos);
  // Reverse order: second stops before first. Channel lines carry the channel as a JSON field.
  auto s2 = logs.find(R"("channel":"second","msg":"shut down")"),
       s1 = logs.find(R"("channel":"first","msg":"shut down")");
  ASSERT_NE(s1, std::string::npos);
  ASSERT_NE(s2, std::string::npos);
  EXPECT_LT(s2, s1);
  EXPECT_NE(logs.find("patchbay stopped"), std::string::npos);
  // log.format: json → every line is one JSON object with ts, level and msg.
  std::istringstream lines(logs);
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(v.is_object() && v.as_object().contains("ts") && v.as_object().contains("msg"))
        << line;
  }
  EXPECT_GT(n, 5);
  EXPECT_EQ(logs.find(secret), std::string::npos) << "secret leaked into logs";
  EXPECT_EQ(logs.find(token), std::string::npos) << "token leaked into logs";
}

TEST(HostProcess, ReadyWhenAllChannelsStartAndStopsOnSigint) {
  auto t0 = std::chrono::steady_clock::now();
  host_fixture h("  - id: only\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::printf("[ figure ] patchbay run -> first 200 from /readyz: %lld ms\n",
              static_cast<long long>(ms.count()));
  auto metrics = h.get("/metrics");
  EXPECT_NE(metrics.body.find("patchbay_channel_state{channel=\"only\",state=\"connected\"} 1"),
            std::string::npos)
      << metrics.body;
  h.proc->signal(SIGINT);
  EXPECT_EQ(h.proc->wait(20s), 0) << h.logs();
}

TEST(HostProcess, ChannelMessagesAreAnsweredThroughThePlugin) {
  // The good plugin emits "hello" (twice: one is a duplicate) and "second" when it starts, each
  // with a single-use reply token; the echo agent answers through the platform renderer.
  host_fixture h("  - id: chan\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS
                 "    config: { emit_on_start: true }\n",
                 "  echo: { type: echo, delay_ms: 20, chunks: 3 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  std::string logs = h.wait_for_log("edit msg-2:chat-1 text=second");
  // Turn 1: the placeholder carries the token; the final edit has the exact full text.
  EXPECT_NE(logs.find("good: send chat-1 token=yes text=h"), std::string::npos) << logs;
  EXPECT_NE(logs.find("good: edit msg-1:chat-1 text=hello"), std::string::npos) << logs;
  // Turn 2 (same conversation, after turn 1): its own token, its own placeholder.
  EXPECT_NE(logs.find("good: send chat-1 token=yes text=s"), std::string::npos) << logs;
  EXPECT_NE(logs.find("good: edit msg-2:chat-1 text=second"), std::string::npos) << logs;
  // Exactly two sends: the duplicate event started no turn, no token was used twice.
  size_t sends = 0;
  for (size_t p = logs.find("good: send "); p != std::string::npos;
       p = logs.find("good: send ", p + 1))
    ++sends;
  EXPECT_EQ(sends, 2u) << logs;
  EXPECT_EQ(logs.find("token=no"), std::string::npos) << logs;
  EXPECT_LT(logs.find("text=hello"), logs.find("text=s"));  // one thread: in order
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(HostProcess, RestartMidTurnTellsTheUserOnceRunsTheUnstartedTurnAndAnswersNothingTwice) {
  host_fixture h("  - id: chan\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS
                 "    config: { emit_on_start: true }\n",
                 "  echo: { type: echo, delay_ms: 3000, chunks: 10 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_NE(
      h.wait_for_log("good: send chat-1 token=yes").find("good: send chat-1 token=yes text=h"),
      std::string::npos)
      << h.logs();
  std::this_thread::sleep_for(200ms);  // let the placeholder id reach the store
  h.proc->signal(SIGKILL);             // a crash, mid-turn
  ASSERT_EQ(h.proc->wait(10s), 128 + SIGKILL);

  h.launch();  // same config, same state; the plugin emits the same two events again
  ASSERT_FALSE(h.base.empty()) << h.logs();
  std::string logs = h.wait_for_log("restarted while answering");
  // Turn 1 had a placeholder: it is edited with the notice (no new message, no token).
  EXPECT_NE(logs.find("good: edit msg-1:chat-1 text=h\\n\\n"), std::string::npos) << logs;
  EXPECT_NE(logs.find("restarted while answering"), std::string::npos) << logs;
  // Turn 2 never started: it is run now (its message was acknowledged), answered with its own,
  // unspent reply token — once: the only send with a token in this run.
  logs = h.wait_for_log("good: send chat-1 token=yes");
  auto first = logs.find("good: send chat-1 token=yes");
  EXPECT_NE(first, std::string::npos) << logs;
  EXPECT_EQ(logs.find("token=yes", first + 30), std::string::npos) << logs;
  // Turn 1 gets no second message: the notice is an edit.
  EXPECT_EQ(logs.find("good: send chat-1 token=no"), std::string::npos) << logs;
  // The redelivered events are duplicates: no new turn, no second answer.
  EXPECT_NE(logs.find("duplicate inbound event ignored"), std::string::npos);
  std::this_thread::sleep_for(300ms);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(HostProcess, PortInUseFailsWithExitOne) {
  host_fixture first("  - id: a\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS);
  ASSERT_FALSE(first.base.empty());
  std::string addr = first.base.substr(7);
  fs::path dir = fs::temp_directory_path() / ("pb_it_port_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "c.yaml") << "host:\n  listen: \"" << addr
                                << "\"\n  state: { path: s.db }\nchannels: []\n";
  std::string out, err;
  int rc = pbtest::run_command({PB_PATCHBAY_BIN, "run", "-c", (dir / "c.yaml").string()}, out, err);
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find(addr), std::string::npos) << err;
  EXPECT_NE(err.find("fix: change host.listen"), std::string::npos) << err;
  fs::remove_all(dir);
}

// host.state engine postgres with a database that does not answer: exit 1 after the connect
// timeout, one line naming the server as host:port/dbname, never the password.
TEST(HostProcess, AnUnreachableStateDatabaseFailsWithOneLineWithoutTheSecret) {
  fs::path dir = fs::temp_directory_path() / ("pb_it_pg_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "c.yaml")
      << "host:\n  listen: \"127.0.0.1:0\"\n  state: { engine: postgres, url: "
         "\"postgresql://pb:s3cret-pw@127.0.0.1:9/patchbay_it?connect_timeout=2\" }\n"
         "channels: []\n";
  std::string out, err;
  int rc = pbtest::run_command({PB_PATCHBAY_BIN, "run", "-c", (dir / "c.yaml").string()}, out, err);
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("cannot start: "), std::string::npos) << err;
  EXPECT_NE(err.find("127.0.0.1:9/patchbay_it"), std::string::npos) << err;
  EXPECT_EQ(err.find("s3cret-pw"), std::string::npos) << err;
  EXPECT_NE(err.find("fix: check host.state.url"), std::string::npos) << err;
  fs::remove_all(dir);
}

}  // namespace
