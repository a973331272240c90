// GET /metrics of a real `patchbay run` around API turns (POST /v1/chat through `patchbay chat`):
// the SSE clients gauge while a stream is open and after it closed; turns, their histograms and
// agent errors by kind when one agent answers and another cannot be reached (a backend failure).
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "child_process.hpp"
#include "host_fixture.hpp"

namespace {
using namespace std::chrono_literals;
using pbtest::host_fixture;

// The value of the sample `series` (the exact text before the value), if present.
std::optional<double> value_of(const std::string& scrape, const std::string& series) {
  const std::string needle = series + " ";
  for (size_t p = scrape.find(needle); p != std::string::npos; p = scrape.find(needle, p + 1))
    if (p == 0 || scrape[p - 1] == '\n')
      return std::stod(scrape.substr(p + needle.size(), scrape.find('\n', p) - p));
  return std::nullopt;
}

// Polls /metrics until `series` reads `want` (generous bound); returns the last scrape.
std::string wait_value(host_fixture& h, const std::string& series, double want) {
  std::string scrape;
  for (int i = 0; i < 1000; ++i) {
    scrape = h.get("/metrics").body;
    if (value_of(scrape, series) == want) break;
    std::this_thread::sleep_for(10ms);
  }
  return scrape;
}

TEST(MetricsChat, SseClientsTurnsAndAgentFailuresAreCounted) {
  host_fixture h("",
                 "  echo: { type: echo, delay_ms: 400, chunks: 3 }\n"
                 "  down: { type: http, url: \"http://127.0.0.1:1/turns\" }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  EXPECT_EQ(value_of(h.get("/metrics").body, "patchbay_sse_clients"), 0);

  pbtest::chat_result slow{};
  std::thread client([&] { slow = pbtest::chat(h.base, {"slow answer"}); });
  std::string during = wait_value(h, "patchbay_sse_clients", 1);
  EXPECT_EQ(value_of(during, "patchbay_sse_clients"), 1) << during;
  during = wait_value(h, "patchbay_router_turns_running", 1);
  EXPECT_EQ(value_of(during, "patchbay_router_turns_running"), 1) << during;
  client.join();
  EXPECT_EQ(slow.rc, 0) << slow.err;
  EXPECT_EQ(slow.out, "slow answer\n");

  auto down = pbtest::chat(h.base, {"--agent", "down", "hello?"});
  EXPECT_EQ(down.rc, 1);
  EXPECT_NE(down.err.find("unreachable"), std::string::npos) << down.err;

  std::string after = wait_value(h, "patchbay_turns_finished_total{outcome=\"errored\"}", 1);
  EXPECT_EQ(value_of(after, "patchbay_sse_clients"), 0) << after;
  EXPECT_EQ(value_of(after, "patchbay_turns_started_total"), 2);
  EXPECT_EQ(value_of(after, "patchbay_turns_finished_total{outcome=\"completed\"}"), 1);
  EXPECT_EQ(value_of(after, "patchbay_turns_finished_total{outcome=\"errored\"}"), 1);
  EXPECT_EQ(value_of(after, "patchbay_turn_first_output_seconds_count"), 1);  // only echo spoke
  EXPECT_EQ(value_of(after, "patchbay_turn_duration_seconds_count"), 2);
  // The slow answer took at least its two 400 ms gaps: not in the buckets up to 0.5 s.
  EXPECT_LE(value_of(after, "patchbay_turn_duration_seconds_bucket{le=\"0.5\"}").value_or(9), 1)
      << after;
  EXPECT_EQ(value_of(after, "patchbay_turn_duration_seconds_bucket{le=\"+Inf\"}"), 2);
  EXPECT_EQ(value_of(after, "patchbay_agent_errors_total{agent=\"down\",kind=\"failure\"}"), 1);
  EXPECT_EQ(value_of(after, "patchbay_agent_errors_total{agent=\"echo\",kind=\"failure\"}"), 0);
  EXPECT_EQ(value_of(after, "patchbay_agent_errors_total{agent=\"down\",kind=\"timeout\"}"), 0);
  EXPECT_EQ(value_of(after, "patchbay_router_turns_running"), 0);
}

}  // namespace
