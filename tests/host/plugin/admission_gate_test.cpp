// The host's admission limit (plugin/admission_gate.hpp): reservations plus the turns past intake
// never exceed the limit, a refusal is counted, released places are reusable, and the overload
// warning is written once per interval however many events are refused.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include "plugin/admission_gate.hpp"

namespace {
using patchbay::plugin::admission_gate;
using namespace std::chrono_literals;

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(AdmissionGate, ReservationsAndTheTurnsPastIntakeShareTheLimit) {
  std::size_t past_intake = 1;
  admission_gate gate(3, 750ms, [&] { return past_intake; });
  EXPECT_TRUE(gate.try_reserve());
  EXPECT_TRUE(gate.try_reserve());
  EXPECT_FALSE(gate.try_reserve());  // 2 reserved + 1 past intake = 3
  EXPECT_EQ(gate.refused(), 1U);
  EXPECT_EQ(gate.reserved(), 2U);
  gate.release();  // e.g. a duplicate: its place is free again
  EXPECT_TRUE(gate.try_reserve());
  gate.handed_over();  // now counted by the turn service instead
  ++past_intake;
  EXPECT_FALSE(gate.try_reserve());
  past_intake = 0;  // the turns ended
  EXPECT_TRUE(gate.try_reserve());
  EXPECT_EQ(gate.refused(), 2U);
  EXPECT_EQ(gate.retry_after(), 750ms);
}

TEST(AdmissionGate, ConcurrentIntakesNeverOvershoot) {
  admission_gate gate(100, 1s, [] { return std::size_t{0}; });
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i)
        if (gate.try_reserve()) admitted.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 100);
  EXPECT_EQ(gate.refused(), 3900U);
}

TEST(AdmissionGate, TheOverloadWarningIsRateLimited) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "gate-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  auto before = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  {
    admission_gate gate(0, 1s, nullptr, 10s);
    const auto t0 = admission_gate::clock::time_point{} + 1h;
    for (int i = 0; i < 500; ++i) EXPECT_FALSE(gate.try_reserve(t0 + std::chrono::milliseconds(i)));
    EXPECT_EQ(count_of(out.str(), "overloaded"), 1U);
    EXPECT_FALSE(gate.try_reserve(t0 + 11s));  // the next interval: one more line, with the count
    EXPECT_EQ(count_of(out.str(), "overloaded"), 2U);
    EXPECT_NE(out.str().find("500 refused since the last report"), std::string::npos) << out.str();
  }
  spdlog::set_default_logger(before);
}

}  // namespace
