#include "patchbay/kit/runtime.hpp"
#include "patchbay/kit/http_types.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <thread>

namespace {

using namespace std::chrono_literals;
using patchbay::kit::io_runtime;
using patchbay::kit::signal_watch;
using patchbay::kit::timer;

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST(KitRuntime, PostRunsOnARuntimeThread) {
  io_runtime rt(2);
  std::promise<std::thread::id> where;
  rt.post([&] { where.set_value(std::this_thread::get_id()); });
  auto f = where.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_NE(f.get(), std::this_thread::get_id());
}

TEST(KitRuntime, StopIsIdempotentAndDestructorAfterStopIsFine) {
  auto rt = std::make_unique<io_runtime>(3);
  std::atomic<int> ran{0};
  rt->post([&] { ++ran; });
  ASSERT_TRUE(wait_until([&] { return ran.load() == 1; }));
  rt->stop();
  rt->stop();
  rt->post([&] { ++ran; });  // abandoned, must not run or crash
  rt.reset();
  EXPECT_EQ(ran.load(), 1);
}

TEST(KitRuntime, StrandSerializesHandlers) {
  io_runtime rt(4);
  auto s = rt.make_strand();
  int counter = 0;  // deliberately not atomic: the strand must serialize access
  std::atomic<int> done{0};
  std::atomic<bool> all_on_strand{true};
  constexpr int n = 2000;
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < n / 4; ++i) {
        s.post([&] {
          if (!s.running_in_this_thread()) all_on_strand = false;
          ++counter;
          ++done;
        });
      }
    });
  }
  for (auto& t : posters) t.join();
  ASSERT_TRUE(wait_until([&] { return done.load() == n; }));
  EXPECT_EQ(counter, n);
  EXPECT_TRUE(all_on_strand.load());
  EXPECT_FALSE(s.running_in_this_thread());
}

TEST(KitTimer, Fires) {
  io_runtime rt(1);
  timer t(rt);
  std::promise<bool> result;
  const auto start = std::chrono::steady_clock::now();
  t.after(30ms, [&](bool cancelled) { result.set_value(cancelled); });
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(f.get());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 25ms);
}

TEST(KitTimer, CancelReportsCancelled) {
  io_runtime rt(1);
  timer t(rt);
  std::promise<bool> result;
  t.after(10s, [&](bool cancelled) { result.set_value(cancelled); });
  t.cancel();
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(f.get());
}

TEST(KitTimer, RearmCancelsThePreviousArm) {
  io_runtime rt(2);
  timer t(rt);
  std::promise<bool> first;
  std::promise<bool> second;
  t.after(10s, [&](bool cancelled) { first.set_value(cancelled); });
  t.after(20ms, [&](bool cancelled) { second.set_value(cancelled); });
  auto f1 = first.get_future();
  auto f2 = second.get_future();
  ASSERT_EQ(f1.wait_for(5s), std::future_status::ready);
  ASSERT_EQ(f2.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(f1.get());
  EXPECT_FALSE(f2.get());
}

TEST(KitTimer, RunsOnTheGivenStrand) {
  io_runtime rt(4);
  auto s = rt.make_strand();
  timer t(rt, s);
  std::promise<bool> on_strand;
  t.after(5ms, [&](bool) { on_strand.set_value(s.running_in_this_thread()); });
  auto f = on_strand.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(f.get());
}

TEST(KitTimer, DestroyingBeforeItFiresIsSafe) {
  io_runtime rt(2);
  auto calls = std::make_shared<std::atomic<int>>(0);
  for (int i = 0; i < 200; ++i) {
    auto payload = std::make_shared<int>(i);  // freed with the timer's callback
    auto t = std::make_unique<timer>(rt);
    t->after(std::chrono::milliseconds(i % 3), [calls, p = std::move(payload)](bool) {
      if (*p >= 0) calls->fetch_add(1);
    });
    if (i % 2 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    t.reset();
  }
  // Also a long timer destroyed right away: its callback never runs.
  std::atomic<bool> long_ran{false};
  {
    timer t(rt);
    t.after(50ms, [&](bool) { long_ran = true; });
  }
  std::this_thread::sleep_for(120ms);
  EXPECT_FALSE(long_ran.load());
  EXPECT_LE(calls->load(), 200);
}

TEST(KitTimer, CallbackMayDestroyItsOwnTimer) {
  io_runtime rt(1);
  auto t = std::make_shared<std::unique_ptr<timer>>(std::make_unique<timer>(rt));
  std::promise<void> done;
  (*t)->after(5ms, [t, &done](bool) {
    t->reset();
    done.set_value();
  });
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
}

TEST(KitSignal, DeliversAndRearms) {
  io_runtime rt(1);
  std::atomic<int> seen{0};
  std::atomic<int> last{0};
  signal_watch watch(rt, {SIGUSR1, SIGUSR2}, [&](int sig) {
    last = sig;
    ++seen;
  });
  std::raise(SIGUSR1);
  ASSERT_TRUE(wait_until([&] { return seen.load() == 1; }));
  EXPECT_EQ(last.load(), SIGUSR1);
  std::raise(SIGUSR2);
  ASSERT_TRUE(wait_until([&] { return seen.load() == 2; }));
  EXPECT_EQ(last.load(), SIGUSR2);
}

TEST(KitHttpTypes, FindHeaderIsCaseInsensitive) {
  patchbay::kit::http_headers h{{"Content-Type", "text/plain"}, {"X-Thing", "1"}};
  EXPECT_EQ(patchbay::kit::find_header(h, "content-type"), "text/plain");
  EXPECT_EQ(patchbay::kit::find_header(h, "X-THING"), "1");
  EXPECT_EQ(patchbay::kit::find_header(h, "missing"), "");
  patchbay::kit::http_request req;
  req.headers = h;
  EXPECT_EQ(req.header("x-thing"), "1");
}

}  // namespace
