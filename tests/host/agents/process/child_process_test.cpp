// kit::child_process against real children (/bin/sh): lines, exit codes, signals, spawn
// failures, overlong lines, bounded stdin, process groups, terminate escalation, cancel.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "patchbay/kit/child_process.hpp"
#include "patchbay/kit/runtime.hpp"
#include "process_test_support.hpp"

namespace {
using namespace std::chrono_literals;
using patchbay::kit::child_exit;
using patchbay::kit::child_options;
using patchbay::kit::child_process;
using patchbay::kit::child_stream;

// Everything a child reported, in order; `after_exit` counts callbacks that came after on_exit.
struct collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> out, err, closed, stdin_errors;
  int overlong = 0, after_exit = 0, exits = 0;
  std::optional<child_exit> exit;

  patchbay::kit::child_events events() {
    patchbay::kit::child_events ev;
    ev.on_line = [this](child_stream s, std::string line) {
      note([&] { (s == child_stream::out ? out : err).push_back(line); });
    };
    ev.on_overlong_line = [this](child_stream, std::size_t) { note([&] { ++overlong; }); };
    ev.on_closed = [this](child_stream s, std::string e) {
      note([&] { closed.push_back((s == child_stream::out ? "out:" : "err:") + e); });
    };
    ev.on_stdin_error = [this](std::string e) { note([&] { stdin_errors.push_back(e); }); };
    ev.on_exit = [this](const child_exit& x) {
      note([&] {
        ++exits;
        exit = x;
      });
    };
    return ev;
  }
  template <class F>
  void note(F f) {
    std::lock_guard lock(mu);
    if (exit) ++after_exit;
    f();
    cv.notify_all();
  }
  template <class P>
  bool wait(P pred, std::chrono::milliseconds timeout = 15s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(); });
  }
  bool wait_exit() {
    return wait([&] { return exit.has_value(); });
  }
};

child_options sh(const std::string& script) {
  child_options o;
  o.argv = {"/bin/sh", "-c", script};
  return o;
}

struct ChildProcess : ::testing::Test {
  patchbay::kit::io_runtime rt{2};
  patchbay::kit::strand st = rt.make_strand();
  collector c;
  std::unique_ptr<child_process> spawn(child_options o) {
    return child_process::spawn(rt, st, std::move(o), c.events());
  }
};

TEST_F(ChildProcess, LinesOfBothStreamsThenTheExitCodeLast) {
  auto p = spawn(sh("echo one; echo two >&2; printf 'three\\r\\nfour'; exit 3"));
  EXPECT_EQ(p->spawn_error(), "");
  EXPECT_GT(p->pid(), 0);
  ASSERT_TRUE(c.wait_exit());
  std::lock_guard lock(c.mu);
  EXPECT_EQ(c.out, (std::vector<std::string>{"one", "three", "four"}));
  EXPECT_EQ(c.err, (std::vector<std::string>{"two"}));
  EXPECT_EQ(c.exit->code, 3);
  EXPECT_EQ(c.exit->signal, 0);
  EXPECT_TRUE(c.exit->spawned());
  EXPECT_EQ(c.exit->describe(), "exited with code 3");
  EXPECT_EQ(c.closed.size(), 2u);
  EXPECT_EQ(c.after_exit, 0);
  EXPECT_EQ(c.exits, 1);
}

TEST_F(ChildProcess, EveryLineWrittenBeforeTheDeathArrivesBeforeTheExit) {
  auto p = spawn(sh("seq 1 30000; kill -9 $$"));
  ASSERT_TRUE(c.wait_exit());
  std::lock_guard lock(c.mu);
  ASSERT_EQ(c.out.size(), 30000u);
  EXPECT_EQ(c.out.back(), "30000");
  EXPECT_EQ(c.exit->signal, SIGKILL);
  EXPECT_EQ(c.exit->describe(), "was killed by signal 9 (SIGKILL)");
  EXPECT_EQ(c.after_exit, 0);
}

TEST_F(ChildProcess, ExitWaitsForOutputStillOpenElsewhereUpToTheDrainTimeout) {
  // A helper in another session (out of reach of the group kill) still holds stdout: its line
  // comes before on_exit; one that never closes it delays on_exit by drain_timeout at most.
  // (The leader waits until the helper left its group, else the group kill may come first.)
  const std::string escaped =
      "f=$(mktemp); setsid sh -c \"echo \\$\\$ > $f; %s\" & "
      "while [ ! -s $f ]; do sleep 0.01; done; rm -f $f; exit %d";
  char buf[512];
  std::snprintf(buf, sizeof buf, escaped.c_str(), "sleep 0.2; echo late", 0);
  auto o = sh(buf);
  auto p = spawn(o);
  ASSERT_TRUE(c.wait_exit());
  {
    std::lock_guard lock(c.mu);
    EXPECT_EQ(c.out, (std::vector<std::string>{"late"}));
    EXPECT_EQ(c.exit->code, 0);
    EXPECT_EQ(c.after_exit, 0);
  }
  collector c2;
  std::snprintf(buf, sizeof buf, escaped.c_str(), "echo \\$\\$; exec sleep 60", 4);
  auto o2 = sh(buf);
  o2.drain_timeout = 300ms;
  auto p2 = child_process::spawn(rt, st, o2, c2.events());
  ASSERT_TRUE(c2.wait_exit());
  std::lock_guard lock(c2.mu);
  EXPECT_EQ(c2.exit->code, 4);
  ASSERT_EQ(c2.out.size(), 1u);
  ::kill(std::stoi(c2.out[0]), SIGKILL);
}

TEST_F(ChildProcess, StdinLinesRoundTripAndCloseGivesEof) {
  auto p = spawn(sh("while read -r l; do echo \"got:$l\"; done; echo bye; exit 0"));
  EXPECT_TRUE(p->write("a\nb\n"));
  EXPECT_TRUE(p->write("c\n"));
  ASSERT_TRUE(c.wait([&] { return c.out.size() == 3; }));
  p->close_stdin();
  EXPECT_FALSE(p->write("late\n"));  // closed for writing
  ASSERT_TRUE(c.wait_exit());
  std::lock_guard lock(c.mu);
  EXPECT_EQ(c.out, (std::vector<std::string>{"got:a", "got:b", "got:c", "bye"}));
  EXPECT_EQ(c.exit->code, 0);
}

TEST_F(ChildProcess, MissingProgramIsASpawnErrorNotExit127) {
  child_options o;
  o.argv = {"/nonexistent/patchbay-agent"};
  auto p = spawn(o);
  EXPECT_EQ(p->spawn_error(), "No such file or directory");
  EXPECT_EQ(p->pid(), -1);
  EXPECT_TRUE(p->write("dropped\n"));  // accepted, dropped: on_exit tells the story
  ASSERT_TRUE(c.wait_exit());
  std::lock_guard lock(c.mu);
  EXPECT_FALSE(c.exit->spawned());
  EXPECT_EQ(c.exit->spawn_errno, ENOENT);
  EXPECT_EQ(c.exit->code, -1);
  EXPECT_EQ(c.exit->describe(), "could not be started: No such file or directory");
  EXPECT_FALSE(p->kill(SIGTERM));
}

TEST_F(ChildProcess, ProgramSearchedInPathAndNotFound) {
  child_options o;
  o.argv = {"patchbay-no-such-program-in-path"};
  auto p = spawn(o);
  ASSERT_TRUE(c.wait_exit());
  EXPECT_EQ(c.exit->spawn_errno, ENOENT);
}

TEST_F(ChildProcess, NonExecutableFileIsPermissionDenied) {
  auto path = std::filesystem::temp_directory_path() / ("pb_noexec_" + std::to_string(::getpid()));
  std::ofstream(path) << "#!/bin/sh\necho hi\n";
  ::chmod(path.c_str(), 0644);
  child_options o;
  o.argv = {path.string()};
  auto p = spawn(o);
  ASSERT_TRUE(c.wait_exit());
  std::filesystem::remove(path);
  EXPECT_EQ(c.exit->spawn_errno, EACCES);
  EXPECT_EQ(c.exit->describe(), "could not be started: Permission denied");
}

TEST_F(ChildProcess, BadWorkingDirectoryIsASpawnError) {
  auto o = sh("pwd");
  o.cwd = "/nonexistent/dir";
  auto p = spawn(o);
  ASSERT_TRUE(c.wait_exit());
  EXPECT_FALSE(c.exit->spawned());
  EXPECT_NE(c.exit->spawn_error.find("working directory"), std::string::npos)
      << c.exit->spawn_error;
}

TEST_F(ChildProcess, EnvironmentAdditionsCwdAndOnlyStandardDescriptors) {
  ::setenv("PB_PROC_TEST_INHERITED", "kept", 1);
  // A descriptor of the host without CLOEXEC (as Asio's sockets are): the child must not get it.
  int leaky = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaky, 3);
  auto o = sh(
      "echo \"$PB_X|$PB_PROC_TEST_INHERITED\"; pwd; "
      "for fd in 3 4 5 6 7 8 9 10 11 12; do [ -e /proc/$$/fd/$fd ] && echo open:$fd; done; exit 0");
  o.env = {{"PB_X", "42"}, {"PB_PROC_TEST_INHERITED", "replaced"}};
  o.cwd = "/tmp";
  auto p = spawn(o);
  ASSERT_TRUE(c.wait_exit());
  ::close(leaky);
  std::lock_guard lock(c.mu);
  // Nothing of the host's descriptors (its sockets, the other ends of our pipes) is inherited.
  EXPECT_EQ(c.out, (std::vector<std::string>{"42|replaced", "/tmp"}));
}

TEST_F(ChildProcess, OverlongLineIsReportedAndSkippedNotBuffered) {
  auto o =
      sh("head -c 300000 /dev/zero | tr '\\0' x; echo; echo after; head -c 5000 /dev/zero | tr "
         "'\\0' y >&2; exit 0");
  o.max_line_bytes = 4096;
  auto p = spawn(o);
  ASSERT_TRUE(c.wait_exit());
  std::lock_guard lock(c.mu);
  EXPECT_EQ(c.out, (std::vector<std::string>{"after"}));
  EXPECT_TRUE(c.err.empty());  // the unterminated stderr line was overlong too: skipped at EOF
  EXPECT_EQ(c.overlong, 2);
}

TEST_F(ChildProcess, KilledBySignalAndKillReachesTheGroup) {
  // The shell starts a grandchild and reports its pid; killing the child's group takes both.
  auto p = spawn(sh("sleep 60 & echo $!; wait"));
  ASSERT_TRUE(c.wait([&] { return !c.out.empty(); }));
  int grandchild = std::stoi(c.out[0]);
  EXPECT_TRUE(proctest::process_alive(grandchild));
  EXPECT_TRUE(p->kill(SIGTERM));
  ASSERT_TRUE(c.wait_exit());
  EXPECT_EQ(c.exit->signal, SIGTERM);
  EXPECT_TRUE(proctest::wait_gone(grandchild));
  EXPECT_FALSE(p->kill(SIGTERM));  // reaped: never signals a recycled pid
}

TEST_F(ChildProcess, LeftoversOfTheGroupAreKilledWhenTheLeaderExits) {
  // The leader exits at once, its background child would keep stdout open for a minute.
  auto p = spawn(sh("sleep 60 & echo $!; exit 5"));
  ASSERT_TRUE(c.wait_exit());
  std::lock_guard lock(c.mu);
  EXPECT_EQ(c.exit->code, 5);
  ASSERT_EQ(c.out.size(), 1u);
  EXPECT_TRUE(proctest::wait_gone(std::stoi(c.out[0])));
}

TEST_F(ChildProcess, TerminateEscalatesToSigkillAfterTheGrace) {
  auto p = spawn(sh("trap '' TERM; echo ready; while :; do sleep 1; done"));
  ASSERT_TRUE(c.wait([&] { return !c.out.empty(); }));
  p->terminate(200ms);
  ASSERT_TRUE(c.wait_exit());
  EXPECT_EQ(c.exit->signal, SIGKILL);
}

TEST_F(ChildProcess, TerminateEndsAWellBehavedChildWithSigterm) {
  auto p = spawn(sh("echo ready; while :; do sleep 1; done"));
  ASSERT_TRUE(c.wait([&] { return !c.out.empty(); }));
  p->terminate(30s);
  ASSERT_TRUE(c.wait_exit());
  EXPECT_EQ(c.exit->signal, SIGTERM);
}

TEST_F(ChildProcess, StdinQueueIsBounded) {
  auto o = sh("exec sleep 60");  // never reads
  o.max_stdin_bytes = 256 * 1024;
  auto p = spawn(o);
  EXPECT_FALSE(p->write(std::string(300 * 1024, 'a')));  // larger than the whole bound
  const std::string chunk(64 * 1024, 'b');
  int accepted = 0;
  bool refused = false;
  for (int i = 0; i < 400 && !refused; ++i) {
    if (p->write(chunk))
      ++accepted;
    else
      refused = true;
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(refused) << accepted;  // socket buffers plus 256 KiB, never 25 MiB
  p->kill(SIGKILL);
  ASSERT_TRUE(c.wait_exit());
}

TEST_F(ChildProcess, WritingToAChildThatClosedStdinIsReportedNotSigpipe) {
  auto p = spawn(sh("exec 0<&-; echo closed; exec sleep 60"));
  ASSERT_TRUE(c.wait([&] { return !c.out.empty(); }));
  for (int i = 0; i < 50; ++i) {
    p->write("hello\n");
    if (c.wait([&] { return !c.stdin_errors.empty(); }, 100ms)) break;
  }
  {
    std::lock_guard lock(c.mu);
    EXPECT_EQ(c.stdin_errors.size(), 1u);
  }
  p->write("more\n");
  p->kill(SIGKILL);
  ASSERT_TRUE(c.wait_exit());
  std::lock_guard lock(c.mu);
  EXPECT_EQ(c.stdin_errors.size(), 1u);
}

TEST_F(ChildProcess, CancelStopsCallbacksAndDestroyingTheHandleEndsTheChild) {
  auto p = spawn(sh("echo first; read -r x; echo second; sleep 60"));
  ASSERT_TRUE(c.wait([&] { return !c.out.empty(); }));
  const int pid = p->pid();
  p->cancel();
  p->write("go\n");
  p.reset();  // SIGTERM to the group
  EXPECT_TRUE(proctest::wait_gone(pid));
  std::this_thread::sleep_for(100ms);  // a callback that was due would have run by now
  std::lock_guard lock(c.mu);
  EXPECT_EQ(c.out, (std::vector<std::string>{"first"}));
  EXPECT_FALSE(c.exit.has_value());
}

TEST(ChildProcessRuntime, ChildStillRunningWhenTheRuntimeIsDestroyedIsKilledAndReaped) {
  int pid = -1;
  {
    patchbay::kit::io_runtime rt(1);
    collector c;
    auto p = child_process::spawn(rt, rt.make_strand(), sh("trap '' TERM; echo up; sleep 60"),
                                  c.events());
    ASSERT_TRUE(c.wait([&] { return !c.out.empty(); }));
    pid = p->pid();
    p->terminate(100ms);
    rt.stop();
  }  // the runtime's destruction waits out the grace, then SIGKILL and reap
  EXPECT_FALSE(proctest::process_alive(pid));
  EXPECT_NE(::kill(pid, 0), 0);  // reaped, not a zombie of ours
}

}  // namespace
