// child_process, the POSIX side: posix_spawn (it reports exec failures as errors, never as an
// exit code) into a new process group, pipes for stdout/stderr, an AF_UNIX socket for stdin, and
// the pidfd child_process.cpp watches for the exit. No Asio here.
#include "child_spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;

namespace patchbay::kit {

std::string child_exit::describe() const {
  if (!spawn_error.empty()) return "could not be started: " + spawn_error;
  if (signal > 0) {
    const char* abbrev = ::sigabbrev_np(signal);
    return "was killed by signal " + std::to_string(signal) +
           (abbrev ? " (SIG" + std::string(abbrev) + ")" : "");
  }
  if (code >= 0) return "exited with code " + std::to_string(code);
  return "exited";
}

namespace detail {
namespace {

// Closes what it holds unless released.
struct fd_guard {
  std::array<int, 6> fds{-1, -1, -1, -1, -1, -1};
  ~fd_guard() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

// Moves a descriptor above 0..2 (keeping CLOEXEC), so that posix_spawn's dup2 onto 0, 1 and 2
// never meets the descriptor it copies (a no-op dup2 would leave CLOEXEC set).
int above_stdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

std::vector<std::string> merged_environment(const child_options& o) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    std::string_view key = kv.substr(0, kv.find('='));
    bool replaced = false;
    for (const auto& [k, v] : o.env) replaced = replaced || k == key;
    if (!replaced) env.emplace_back(kv);
  }
  for (const auto& [k, v] : o.env) env.push_back(std::string(k).append("=").append(v));
  return env;
}

}  // namespace

int start_process(const child_options& o, spawned& s, std::string& what) {
  auto failed = [&what](const char* step, int e = errno) {
    what = step;
    return e;
  };
  if (!o.cwd.empty()) {
    struct stat st {};
    if (::stat(o.cwd.c_str(), &st) != 0) return failed("cannot enter its working directory");
    if (!S_ISDIR(st.st_mode)) return failed("cannot enter its working directory", ENOTDIR);
  }
  fd_guard g;  // [0,1] stdin socket pair, [2,3] stdout pipe, [4,5] stderr pipe
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, &g.fds[0]) != 0)
    return failed("socketpair");
  if (::pipe2(&g.fds[2], O_CLOEXEC) != 0) return failed("pipe");
  if (::pipe2(&g.fds[4], O_CLOEXEC) != 0) return failed("pipe");
  for (int& fd : g.fds)
    if ((fd = above_stdio(fd)) < 0) return failed("fcntl");

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawnattr_init(&at);
  ::posix_spawn_file_actions_adddup2(&fa, g.fds[1], 0);
  ::posix_spawn_file_actions_adddup2(&fa, g.fds[3], 1);
  ::posix_spawn_file_actions_adddup2(&fa, g.fds[5], 2);
  if (!o.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&fa, o.cwd.c_str());
  ::posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t none, all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::sigdelset(&all, SIGKILL);
  ::sigdelset(&all, SIGSTOP);
  ::posix_spawnattr_setsigmask(&at, &none);
  ::posix_spawnattr_setsigdefault(&at, &all);
  ::posix_spawnattr_setpgroup(&at, 0);
  ::posix_spawnattr_setflags(
      &at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env_strings = merged_environment(o);
  std::vector<char*> argv, envp;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const bool search = o.argv[0].find('/') == std::string::npos;
  pid_t pid = -1;
  int rc = search ? ::posix_spawnp(&pid, argv[0], &fa, &at, argv.data(), envp.data())
                  : ::posix_spawn(&pid, argv[0], &fa, &at, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&fa);
  ::posix_spawnattr_destroy(&at);
  if (rc != 0) return rc;

  // The raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int e = errno;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);  // just killed: returns at once
    what = "cannot watch the process (pidfd_open)";
    return e;
  }
  s.pid = pid;
  s.pidfd = pidfd;
  s.in = std::exchange(g.fds[0], -1);
  s.out = std::exchange(g.fds[2], -1);
  s.err = std::exchange(g.fds[4], -1);
  return 0;  // the child's ends are closed by the guard
}

}  // namespace detail
}  // namespace patchbay::kit
