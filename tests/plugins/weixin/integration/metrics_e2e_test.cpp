// GET /metrics of a real `patchbay run` after traffic through the real Weixin plugin and the fake
// iLink server, with the echo agent: the counts match what was sent (inbound accepted and
// duplicate, sends by class, turns, histogram counts, /hooks answers), the text is well formed,
// and, where the Debian `prometheus` package's promtool is installed, `promtool check metrics`
// passes.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>

#include "../../../host/metrics/exposition_check.hpp"
#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;

// The value of the sample `series` (the exact text before the value), if present.
std::optional<double> value_of(const std::string& scrape, const std::string& series) {
  const std::string needle = series + " ";
  for (size_t p = scrape.find(needle); p != std::string::npos; p = scrape.find(needle, p + 1))
    if (p == 0 || scrape[p - 1] == '\n')
      return std::stod(scrape.substr(p + needle.size(), scrape.find('\n', p) - p));
  return std::nullopt;
}

std::string promtool_path() {
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): test, one thread
  std::string dirs = path ? path : "";
  for (size_t pos = 0; pos <= dirs.size();) {
    size_t next = dirs.find(':', pos);
    if (next == std::string::npos) next = dirs.size();
    std::string candidate = dirs.substr(pos, next - pos) + "/promtool";
    if (next > pos && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    pos = next + 1;
  }
  return "";
}

size_t replies_to(const fake_ilink& fake, const std::string& prefix) {
  size_t n = 0;
  for (const auto& s : fake.sent())
    if (str(s, "to").rfind(prefix, 0) == 0) ++n;
  return n;
}

class MetricsE2E : public ::testing::Test {
 protected:
  static constexpr int n = 5;
  fake_ilink fake{{"--hold-ms", "300"}};
  std::unique_ptr<host_fixture> host;
  std::string scrape;

  // Waits until `series` reads `want` (counters move a moment after the fake records a send).
  bool wait_value(const std::string& series, double want) {
    return fake_ilink::wait_for([&] {
      scrape = host->get("/metrics").body;
      return value_of(scrape, series) == want;
    });
  }
};

TEST_F(MetricsE2E, ScrapeCountsWhatWentThroughTheFake) {
  ASSERT_FALSE(fake.accounts.empty());
  host = std::make_unique<host_fixture>(channel_yaml(fake, fake.accounts[0]));
  ASSERT_FALSE(host->base.empty()) << host->logs();

  // First run: one message with a fixed id, answered and acknowledged; then the host stops.
  const json::object seed{{"from", "seed@im.wechat"}, {"text", "seed"}, {"message_id", 777777}};
  fake.call("POST", "/_fake/inject", seed);
  ASSERT_TRUE(fake_ilink::wait_for([&] { return replies_to(fake, "seed@") == 1; })) << host->logs();
  host->proc->signal(SIGTERM);
  ASSERT_EQ(host->proc->wait(20s), 0) << host->logs();

  // Second run (counters start at 0): the same message again, which the plugin no longer
  // remembers and the host's durable dedup recognises, then n new messages.
  host->launch();
  ASSERT_FALSE(host->base.empty()) << host->logs();
  fake.call("POST", "/_fake/inject", seed);
  for (int i = 0; i < n; ++i)
    fake.inject("user" + std::to_string(i % 2) + "@im.wechat", "message " + std::to_string(i));
  ASSERT_TRUE(fake_ilink::wait_for([&] { return replies_to(fake, "user") == n; })) << host->logs();
  // A request to the channel's hooks (the weixin plugin takes none: 404) is counted for it; one
  // for a channel that does not exist is not (no label from a URL).
  EXPECT_EQ(host->get("/hooks/wx/anything").status, 404u);
  EXPECT_EQ(host->get("/hooks/no-such-channel").status, 404u);

  const std::string ch = "channel=\"wx\"";
  ASSERT_TRUE(wait_value("patchbay_outbound_total{" + ch + ",kind=\"send\",class=\"ok\"}", n))
      << scrape << host->logs();
  ASSERT_TRUE(wait_value("patchbay_inbound_total{" + ch + ",outcome=\"duplicate\"}", 1)) << scrape;
  ASSERT_TRUE(wait_value("patchbay_turns_finished_total{outcome=\"completed\"}", n)) << scrape;
  EXPECT_EQ(replies_to(fake, "seed@"), 1u);  // the duplicate was not answered again

  EXPECT_EQ(value_of(scrape, "patchbay_inbound_total{" + ch + ",outcome=\"accepted\"}"), n);
  EXPECT_EQ(value_of(scrape, "patchbay_inbound_total{" + ch + ",outcome=\"refused\"}"), 0);
  for (const char* cls : {"retryable", "rate_limited", "auth", "rejected", "unknown"})
    EXPECT_EQ(
        value_of(scrape, "patchbay_outbound_total{" + ch + ",kind=\"send\",class=\"" + cls + "\"}"),
        0)
        << cls;
  EXPECT_EQ(value_of(scrape, "patchbay_turns_started_total"), n);
  EXPECT_EQ(value_of(scrape, "patchbay_turns_finished_total{outcome=\"errored\"}"), 0);
  EXPECT_EQ(value_of(scrape, "patchbay_turns_finished_total{outcome=\"timed_out\"}"), 0);
  EXPECT_EQ(value_of(scrape, "patchbay_turn_first_output_seconds_count"), n);
  EXPECT_EQ(value_of(scrape, "patchbay_turn_first_output_seconds_bucket{le=\"+Inf\"}"), n);
  EXPECT_EQ(value_of(scrape, "patchbay_turn_duration_seconds_count"), n);
  EXPECT_GT(value_of(scrape, "patchbay_turn_duration_seconds_sum").value_or(0), 0);
  EXPECT_EQ(value_of(scrape, "patchbay_router_turns_running"), 0);
  EXPECT_EQ(value_of(scrape, "patchbay_router_queue_depth"), 0);
  EXPECT_EQ(value_of(scrape, "patchbay_channel_state{" + ch + ",state=\"connected\"}"), 1);
  EXPECT_EQ(value_of(scrape, "patchbay_channel_state{" + ch + ",state=\"failed\"}"), 0);
  // The weixin plugin proves its poll alive (ABI 1.2): the age is small and never negative; all
  // its sends completed, so nothing is in flight.
  auto age = value_of(scrape, "patchbay_channel_liveness_age_seconds{" + ch + "}");
  ASSERT_TRUE(age.has_value()) << scrape;
  EXPECT_GE(*age, 0);
  EXPECT_LT(*age, 60);
  EXPECT_EQ(value_of(scrape, "patchbay_channel_outbound_queue_depth{" + ch + "}"), 0);
  EXPECT_EQ(value_of(scrape, "patchbay_hook_requests_total{" + ch + ",code=\"404\"}"), 1);
  EXPECT_EQ(scrape.find("no-such-channel"), std::string::npos);
  EXPECT_EQ(value_of(scrape, "patchbay_agent_errors_total{agent=\"echo\",kind=\"failure\"}"), 0);
  EXPECT_EQ(value_of(scrape, "patchbay_sse_clients"), 0);
  EXPECT_EQ(metrics_check::check_exposition(scrape), "") << scrape;

  host->proc->signal(SIGTERM);
  EXPECT_EQ(host->proc->wait(20s), 0);

  const std::string promtool = promtool_path();
  if (promtool.empty())
    GTEST_SKIP() << "promtool not on PATH (Debian package `prometheus`, installed by "
                    "tools/install-deps.sh): `promtool check metrics` skipped; the counts above "
                    "were checked";
  const std::string file = (host->dir / "scrape.txt").string();
  std::ofstream(file) << scrape;
  std::string out, err;
  const int rc = pbtest::run_command(
      {"/bin/sh", "-c", "\"$0\" check metrics < \"$1\"", promtool, file}, out, err);
  EXPECT_EQ(rc, 0) << out << err << scrape;
  EXPECT_EQ(out + err, "") << "promtool reported problems";
}

}  // namespace
