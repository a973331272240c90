// The kit's diagnostic sink: swallowed exceptions arrive there (not on stderr) once a sink is set,
// and on stderr again once it is cleared. The sink is set before any runtime exists and cleared
// after, as diagnostics.hpp asks.
#include "patchbay/kit/diagnostics.hpp"
#include "patchbay/kit/runtime.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using patchbay::kit::diagnostic_level;

struct captured {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::pair<diagnostic_level, std::string>> lines;

  bool wait_for_lines(std::size_t n) {
    std::unique_lock lock(mtx);
    return cv.wait_for(lock, 5s, [&] { return lines.size() >= n; });
  }
};

class KitDiagnostics : public ::testing::Test {
 protected:
  void SetUp() override {
    patchbay::kit::set_diagnostic_sink([this](diagnostic_level level, std::string_view text) {
      {
        std::lock_guard lock(got_.mtx);
        got_.lines.emplace_back(level, std::string(text));
      }
      got_.cv.notify_all();
    });
  }
  void TearDown() override { patchbay::kit::set_diagnostic_sink(nullptr); }

  captured got_;
};

TEST_F(KitDiagnostics, ReportGoesToTheSink) {
  testing::internal::CaptureStderr();
  patchbay::kit::report_diagnostic(diagnostic_level::warning, "one line");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  ASSERT_EQ(got_.lines.size(), 1u);
  EXPECT_EQ(got_.lines[0].first, diagnostic_level::warning);
  EXPECT_EQ(got_.lines[0].second, "one line");
}

TEST_F(KitDiagnostics, ExceptionSwallowedByTheRuntimeArrivesInTheSink) {
  testing::internal::CaptureStderr();
  {
    patchbay::kit::io_runtime rt(1);
    rt.post([] { throw std::runtime_error("boom"); });
    ASSERT_TRUE(got_.wait_for_lines(1));
    // The runtime thread survived the exception and still serves the context.
    std::promise<void> ran;
    rt.post([&] { ran.set_value(); });
    EXPECT_EQ(ran.get_future().wait_for(5s), std::future_status::ready);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  std::lock_guard lock(got_.mtx);
  ASSERT_EQ(got_.lines.size(), 1u);
  EXPECT_EQ(got_.lines[0].first, diagnostic_level::error);
  EXPECT_EQ(got_.lines[0].second, "uncaught exception in an io handler: boom");
}

TEST_F(KitDiagnostics, ThrowingSinkFallsBackToStderr) {
  patchbay::kit::set_diagnostic_sink(
      [](diagnostic_level, std::string_view) { throw std::runtime_error("sink broken"); });
  testing::internal::CaptureStderr();
  patchbay::kit::report_diagnostic(diagnostic_level::error, "still seen");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "patchbay kit: still seen\n");
}

TEST(KitDiagnosticsDefault, WithoutASinkLinesGoToStderr) {
  patchbay::kit::set_diagnostic_sink(nullptr);
  testing::internal::CaptureStderr();
  patchbay::kit::report_diagnostic(diagnostic_level::error, "on stderr");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "patchbay kit: on stderr\n");
}

}  // namespace
