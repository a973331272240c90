// The feishu plugin's reconnect supervisor, in a real `patchbay run` against the fake Feishu
// server, on scaled timings (initial 100-200 ms, x2, no jitter): the backoff grows across
// repeated failures and resets only after a stable connection (asserted on the fake's discovery
// log, with generous bounds); a stalled socket is detected; a fatal discovery code gives status
// `failed` and no fast retry loop; the bot's identity survives reconnects; 100 reconnect cycles
// leave no growth in file descriptors, threads or memory.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;
namespace fs = std::filesystem;

const std::string echo = "  echo: { type: echo, chunks: 1, delay_ms: 0 }\n";

bool connected(host_fixture& h, const std::string& id = "fs") {
  return wait_for([&] { return channel_state(h, id) == "connected"; });
}

std::vector<int64_t> discovery_times(const fake_feishu& fake) {
  std::vector<int64_t> t;
  for (const auto& d : fake.discoveries()) t.push_back(num(d, "time_ms"));
  return t;
}

// /proc figures of a process: open fds, threads, resident KiB.
struct proc_figures {
  size_t fds = 0, threads = 0, rss_kib = 0;
};
proc_figures figures(pid_t pid) {
  proc_figures f;
  const fs::path p = "/proc/" + std::to_string(pid);
  std::error_code ec;
  for (auto it = fs::directory_iterator(p / "fd", ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    ++f.fds;
  for (auto it = fs::directory_iterator(p / "task", ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    ++f.threads;
  std::ifstream status(p / "status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) f.rss_kib = std::stoul(line.substr(6));
  return f;
}

TEST(FeishuReconnect, BackoffGrowsAcrossFailuresAndResetsAfterStability) {
  fake_feishu fake;
  fake.config(json::object{{"ping_interval_s", 1}});
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket",
                              fast_reconnect_yaml(200, 3200, 1500, 10000)),
                 echo);
  ASSERT_TRUE(connected(h)) << h.logs() << fake.logs();
  std::this_thread::sleep_for(1800ms);  // proved stable: the backoff is at its initial delay

  // Four upgrades refused (retryable: Handshake-Status 500), then the connection is dropped.
  fake.fault(json::object{{"kind", "refuse_handshake"}, {"handshake_status", 500}, {"count", 4}});
  const size_t before = discovery_times(fake).size();
  fake.fault(json::object{{"kind", "drop"}});
  ASSERT_TRUE(wait_for([&] { return discovery_times(fake).size() >= before + 5; }, 30)) << h.logs();
  ASSERT_TRUE(connected(h)) << h.logs();
  auto t = discovery_times(fake);
  // Gaps between the attempts after the drop: 200, 400, 800, 1600 ms (+ the attempt's own time).
  std::vector<int64_t> gaps;
  for (size_t i = before + 1; i < before + 5; ++i) gaps.push_back(t[i] - t[i - 1]);
  for (size_t i = 1; i < gaps.size(); ++i)
    EXPECT_GT(gaps[i], gaps[i - 1] * 13 / 10) << "gap " << i << " did not grow";
  EXPECT_GE(gaps.back(), 1500);  // 1600 ms base, no jitter

  // While the connection stays up less than stable_after, a drop keeps the grown delay …
  std::this_thread::sleep_for(300ms);
  size_t n = discovery_times(fake).size();
  fake.fault(json::object{{"kind", "drop"}});
  ASSERT_TRUE(wait_for([&] { return discovery_times(fake).size() >= n + 1; }, 30));
  ASSERT_TRUE(connected(h));
  // … (the next delay is 3200 ms: measured from the drop, so at least ~3 s passed)
  // and once it proved stable, the next failure starts again from the initial delay.
  std::this_thread::sleep_for(2000ms);
  n = discovery_times(fake).size();
  const int64_t last = discovery_times(fake).back();
  fake.fault(json::object{{"kind", "drop"}});
  ASSERT_TRUE(wait_for([&] { return discovery_times(fake).size() >= n + 1; }, 30));
  t = discovery_times(fake);
  EXPECT_GE(t[n] - last, 1500);  // it had been up ≥ 1.5 s
  ASSERT_TRUE(connected(h));
  // The drop-to-rediscovery time is measured by the fake as well: the last connection's close.
  auto conns = fake.connections();
  ASSERT_GE(conns.size(), 2u);
  const int64_t dropped_at = num(conns[conns.size() - 2], "closed_ms");
  ASSERT_GT(dropped_at, 0);
  EXPECT_LT(t[n] - dropped_at, 1200) << "the backoff was not reset after a stable connection";
}

TEST(FeishuReconnect, StalledSocketIsDetected) {
  fake_feishu fake;
  fake.config(json::object{{"ping_interval_s", 1}});
  host_fixture h(
      channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", fast_reconnect_yaml()),
      echo);
  ASSERT_TRUE(connected(h)) << h.logs();
  ASSERT_EQ(fake.opened_connections(), 1u);
  // The server stops reading and answering pings but keeps the TCP connection open.
  // (Long enough for the client's liveness limit of 1 s + 0.7 s to pass several times.)
  fake.fault(json::object{{"kind", "stall"}, {"duration_ms", 5000}});
  ASSERT_TRUE(wait_for([&] { return fake.opened_connections() >= 2; }, 30)) << h.logs();
  EXPECT_TRUE(connected(h));
  EXPECT_NE(h.logs().find("no frame for"), std::string::npos);
  // The stalled one was given up by the client; the fake notices once its stall ends (it reads
  // nothing meanwhile), and then events go to the new connection only.
  ASSERT_TRUE(wait_for([&] { return fake.open_connections() == 1; }, 30));
  auto inbound = fake.inject_text("after the stall");
  EXPECT_TRUE(wait_for([&] { return !fake.bot_messages(str(inbound, "message_id")).empty(); }))
      << h.logs();
}

TEST(FeishuReconnect, FatalDiscoveryCodeFailsWithoutAFastRetryLoop) {
  fake_feishu fake;
  // 514 auth failed: fatal for every SDK that classifies (go/py).
  fake.fault(json::object{{"kind", "refuse_discovery"}, {"code", 514}, {"count", -1}});
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket",
                              fast_reconnect_yaml(100, 1600, 1000, 4000)),
                 echo);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  std::string reason;
  ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs", &reason) == "failed"; })) << h.logs();
  EXPECT_NE(reason.find("514"), std::string::npos) << reason;
  const auto first = discovery_times(fake);
  ASSERT_FALSE(first.empty());
  // With a 100 ms initial backoff a fast loop would make ~30 attempts in 3 s; fatal_retry is 4 s.
  std::this_thread::sleep_for(3000ms);
  EXPECT_EQ(discovery_times(fake).size(), first.size()) << h.logs();
  // The slow retry comes, and succeeds once the fault is gone.
  fake.call("POST", "/_fake/reset");
  EXPECT_TRUE(connected(h)) << h.logs();
}

TEST(FeishuReconnect, BotIdentitySurvivesTenReconnects) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket",
                              fast_reconnect_yaml(50, 200)),
                 echo);
  ASSERT_TRUE(connected(h)) << h.logs();
  for (size_t i = 1; i <= 10; ++i) {
    fake.fault(json::object{{"kind", "drop"}});
    ASSERT_TRUE(wait_for([&] {
      return fake.opened_connections() >= i + 1 && fake.open_connections() == 1;
    })) << "cycle "
        << i << h.logs();
  }
  // Mentions of the bot are still recognised: its open_id was not wiped by a reconnect.
  auto asked =
      fake.inject_text("still there?", json::object{{"chat_type", "group"}, {"mention_bot", true}});
  EXPECT_TRUE(wait_for([&] { return !fake.bot_messages(str(asked, "message_id")).empty(); }))
      << h.logs();
  EXPECT_EQ(fake.requests_to("/open-apis/bot/v3/info").size(), 1u);
}

TEST(FeishuReconnect, HundredCyclesLeaveNoGrowth) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket",
                              fast_reconnect_yaml(10, 40)),
                 echo);
  ASSERT_TRUE(connected(h)) << h.logs();
  const pid_t pid = h.proc->pid();
  auto cycle = [&](size_t i) {
    fake.fault(json::object{{"kind", "drop"}});
    return wait_for([&] {
      return fake.opened_connections() >= i + 1 && fake.open_connections() == 1 &&
             channel_state(h, "fs") == "connected";
    });
  };
  for (size_t i = 1; i <= 10; ++i) ASSERT_TRUE(cycle(i)) << i << h.logs();
  const proc_figures warm = figures(pid);
  for (size_t i = 11; i <= 100; ++i) ASSERT_TRUE(cycle(i)) << i << h.logs();
  const proc_figures end = figures(pid);
  EXPECT_LE(end.fds, warm.fds + 2) << "file descriptors grew";
  EXPECT_EQ(end.threads, warm.threads) << "threads grew";
#if !defined(__SANITIZE_ADDRESS__)
  // (Under AddressSanitizer freed memory sits in its quarantine: RSS says nothing there, and ASan
  // itself reports leaks at exit.)
  EXPECT_LT(end.rss_kib, warm.rss_kib + 4096) << "resident memory grew by more than 4 MiB";
#endif
  // The supervisor's own accounting: one live connection, a fixed set of timers.
  const std::string log = h.logs();
  const auto pos = log.rfind("ws counters");
  ASSERT_NE(pos, std::string::npos) << "the plugin logs its counters at each reconnect";
  const std::string line = log.substr(pos, log.find('\n', pos) - pos);
  EXPECT_NE(line.find("opened=101 "), std::string::npos) << line;  // the first + 100
  EXPECT_NE(line.find("live_connections=1 "), std::string::npos) << line;
  EXPECT_NE(line.find("pending_fragments=0 "), std::string::npos) << line;
  EXPECT_NE(line.find("armed_timers=2"), std::string::npos) << line;  // ping + liveness
  // The kit's own count of client connection objects: this one, at most one still finishing.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(kit_connections=(\d+))"))) << line;
  EXPECT_LE(std::stoi(m[1].str()), 2) << line;
}

}  // namespace
