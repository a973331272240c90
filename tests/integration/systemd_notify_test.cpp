// The real `patchbay run` under a fake systemd: $NOTIFY_SOCKET names an AF_UNIX datagram socket
// the test bound, $WATCHDOG_USEC asks for pings. The host sends READY=1 with a one-line STATUS=
// once its channels were brought up, WATCHDOG=1 at half the interval, RELOADING=1 (with
// MONOTONIC_USEC) then READY=1 around a SIGHUP reload, and STOPPING=1 at SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "notify_socket.hpp"

namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(SystemdNotify, ReadyStatusWatchdogReloadingStopping) {
  pbtest::notify_socket sock(false);
  ASSERT_TRUE(sock.bound());
  fs::path dir = fs::temp_directory_path() / ("pb_sdnotify_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "patchbay.yaml") << "host:\n"
                                          "  listen: \"127.0.0.1:0\"\n"
                                          "  plugin_dirs: [\"" PB_ZOO_DIR
                                          "\"]\n"
                                          "  state: { engine: sqlite, path: state.db }\n"
                                          "channels:\n"
                                          "  - id: first\n"
                                          "    plugin: good\n"
                                          "    agent: echo\n"
                                          "  - id: broken\n"
                                          "    plugin: zoo_major2\n"
                                          "    agent: echo\n"
                                          "agents:\n"
                                          "  echo: { type: echo }\n";
  auto proc = std::make_unique<pbtest::child_process>(
      std::vector<std::string>{PB_PATCHBAY_BIN, "run", "-c", (dir / "patchbay.yaml").string()},
      std::map<std::string, std::string>{{"NOTIFY_SOCKET", sock.name()},
                                         {"WATCHDOG_USEC", "400000"}},
      (dir / "out.log").string(), (dir / "err.log").string());

  std::string ready = sock.receive_event(20s);
  EXPECT_EQ(ready.rfind("READY=1\nSTATUS=1/2 channels started (not started: broken); listening "
                        "on 127.0.0.1:",
                        0),
            0u)
      << ready;
  EXPECT_EQ(ready.find('\n', 8), std::string::npos);  // one STATUS line

  // Watchdog pings every 200 ms (generous bound for a loaded machine: at least 2 in 3 s).
  int pings = 0;
  EXPECT_EQ(sock.receive_event(3s, &pings), "");
  EXPECT_GE(pings, 2);

  proc->signal(SIGHUP);
  std::string reloading = sock.receive_event(20s);
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_NE(reloading.find("\nSTATUS=reloading the configuration"), std::string::npos);
  std::string again = sock.receive_event(20s);
  EXPECT_EQ(again.rfind("READY=1\nSTATUS=1/2 channels started", 0), 0u) << again;
  EXPECT_NE(again.find("reload applied: channels 0 added, 0 removed, 0 restarted, 1 unchanged, 1 "
                       "retried; not running: broken"),
            std::string::npos)
      << again;

  proc->signal(SIGTERM);
  EXPECT_EQ(sock.receive_event(20s), "STOPPING=1\nSTATUS=stopping");
  EXPECT_EQ(proc->wait(20s), 0) << pbtest::read_file((dir / "err.log").string());
  fs::remove_all(dir);
}

}  // namespace
