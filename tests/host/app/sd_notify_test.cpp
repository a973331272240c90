// sd_notify spoken to a real AF_UNIX datagram socket bound by the test (a path and an abstract
// "@" name), as systemd binds $NOTIFY_SOCKET: messages arrive whole; without NOTIFY_SOCKET
// nothing is sent; WATCHDOG_USEC/2 is the ping interval only for our own WATCHDOG_PID; the
// watchdog timer pings repeatedly and stops when destroyed.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "app/sd_notify.hpp"
#include "notify_socket.hpp"
#include "patchbay/kit/runtime.hpp"

namespace {
using namespace std::chrono_literals;
using patchbay::app::sd_notifier;
using pbtest::notify_socket;

sd_notifier::env_fn env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(SdNotify, PathSocketReceivesWholeMessages) {
  notify_socket sock(false);
  ASSERT_TRUE(sock.bound());
  sd_notifier n(env_of({{"NOTIFY_SOCKET", sock.name()}}));
  ASSERT_TRUE(n.enabled());
  const std::string ready = "READY=1\n" + sd_notifier::status_line("2/2 channels\nstarted");
  EXPECT_TRUE(n.notify(ready));
  EXPECT_EQ(sock.receive(), "READY=1\nSTATUS=2/2 channels started");
  EXPECT_TRUE(n.notify("STOPPING=1"));
  EXPECT_EQ(sock.receive(), "STOPPING=1");
}

TEST(SdNotify, AbstractSocket) {
  notify_socket sock(true);
  ASSERT_EQ(sock.name()[0], '@');
  sd_notifier n(env_of({{"NOTIFY_SOCKET", sock.name()}}));
  const std::string msg = "RELOADING=1\n" + sd_notifier::monotonic_usec();
  EXPECT_TRUE(n.notify(msg));
  std::string got = sock.receive();
  EXPECT_EQ(got, msg);
  EXPECT_EQ(got.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u);
  EXPECT_GT(std::stoull(got.substr(got.find('=', 12) + 1)), 0u);
}

TEST(SdNotify, WithoutNotifySocketNothingIsSentAndNoWatchdog) {
  sd_notifier n(env_of({{"WATCHDOG_USEC", "1000000"}}));
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.notify("READY=1"));
  sd_notifier relative(env_of({{"NOTIFY_SOCKET", "relative/path"}}));
  EXPECT_FALSE(relative.enabled());
}

TEST(SdNotify, WatchdogIntervalIsHalfOfWatchdogUsecForOurPidOnly) {
  const std::string me = std::to_string(::getpid());
  EXPECT_EQ(sd_notifier(env_of({{"NOTIFY_SOCKET", "/x"}, {"WATCHDOG_USEC", "30000000"}}))
                .watchdog_interval(),
            15s);
  EXPECT_EQ(
      sd_notifier(
          env_of({{"NOTIFY_SOCKET", "/x"}, {"WATCHDOG_USEC", "30000000"}, {"WATCHDOG_PID", me}}))
          .watchdog_interval(),
      15s);
  EXPECT_EQ(
      sd_notifier(
          env_of({{"NOTIFY_SOCKET", "/x"}, {"WATCHDOG_USEC", "30000000"}, {"WATCHDOG_PID", "1"}}))
          .watchdog_interval(),
      0s);
  EXPECT_EQ(
      sd_notifier(env_of({{"NOTIFY_SOCKET", "/x"}, {"WATCHDOG_USEC", "abc"}})).watchdog_interval(),
      0s);
  EXPECT_EQ(sd_notifier(env_of({{"NOTIFY_SOCKET", "/x"}})).watchdog_interval(), 0s);
}

TEST(SdNotify, WatchdogPingsRepeatedlyUntilDestroyed) {
  notify_socket sock(false);
  auto n = std::make_shared<const sd_notifier>(
      env_of({{"NOTIFY_SOCKET", sock.name()}, {"WATCHDOG_USEC", "60000"}}));  // every 30 ms
  ASSERT_EQ(n->watchdog_interval(), 30ms);
  patchbay::kit::io_runtime rt(2);
  {
    patchbay::app::sd_watchdog dog(rt, n);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(sock.receive(), "WATCHDOG=1") << i;
  }
  // Destroyed: at most one ping that was already on its way, then silence.
  if (!sock.receive(200ms).empty()) {
    EXPECT_EQ(sock.receive(200ms), "");
  }
  rt.stop();
}

TEST(SdNotify, NoWatchdogWithoutInterval) {
  notify_socket sock(false);
  auto n = std::make_shared<const sd_notifier>(env_of({{"NOTIFY_SOCKET", sock.name()}}));
  patchbay::kit::io_runtime rt(1);
  patchbay::app::sd_watchdog dog(rt, n);
  EXPECT_EQ(sock.receive(150ms), "");
  rt.stop();
}

}  // namespace
