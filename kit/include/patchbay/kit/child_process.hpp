// patchbay kit: a long-lived child process with piped stdin/stdout/stderr (Asio inside, not in
// this header). Linux only (pidfd, kernel 5.3+).
//
//  - spawn() starts argv[0] (a path, or a name looked up in PATH) in a new process group, with
//    the host's environment plus `env`, in `cwd`. Signals are reset to their defaults and none is
//    blocked in the child; no descriptor but 0, 1 and 2 is inherited. If the program cannot be
//    executed (ENOENT, EACCES, bad cwd...), the process never runs: `on_exit` then reports
//    `spawn_error` (never a made-up exit code such as 127), and spawn_error() says so at once.
//  - stdout and stderr are read as lines (without "\n" or "\r\n"; a last unterminated line is
//    delivered at EOF). A line longer than max_line_bytes is reported once through
//    on_overlong_line and skipped up to its newline: memory stays bounded whatever the child
//    writes.
//  - write() queues bytes for stdin (bounded: max_stdin_bytes not yet written). stdin is a
//    socket (AF_UNIX stream), so writing to a child that stopped reading never raises SIGPIPE in
//    the host: it is reported once through on_stdin_error.
//  - Exit: watched through a pidfd (no SIGCHLD handler, no polling). When the leader exits, what
//    is left of its process group is killed (SIGKILL), the leader is reaped, and `on_exit` is
//    called once stdout and stderr reached EOF (or drain_timeout passed), so every line written
//    before the death is delivered before on_exit.
//  - kill(sig) signals the whole process group; terminate(grace) sends SIGTERM now and SIGKILL
//    after `grace` (a timer, nothing blocks).
//
// Callbacks run on the strand passed to spawn(), in order; on_exit is the last one, exactly once
// (unless the runtime stops first or cancel() was called). After cancel() (or destruction of the
// handle) no callback starts; call cancel() on the callback strand to be sure none is running.
//
// Thread safety: every member function may be called from any thread.
// Destroying the handle cancels the callbacks and, unless terminate() was called already,
// terminates the child (SIGTERM, SIGKILL after kill_grace). If the runtime is destroyed while the
// child still runs, the child is killed (after what is left of a terminate() grace) and reaped
// then, off the runtime's threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace patchbay::kit {

class io_runtime;
class strand;

enum class child_stream { out, err };

struct child_options {
  std::vector<std::string> argv;                         // argv[0] is the program
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing) the host's
  std::string cwd;                                       // "" = the host's working directory
  std::size_t max_line_bytes = 1 << 20;
  std::size_t max_stdin_bytes = 4 << 20;           // queued for stdin, not yet written
  std::chrono::milliseconds drain_timeout{2'000};  // after the exit, wait this long for EOF
  std::chrono::milliseconds kill_grace{2'000};     // used by the destructor's terminate()
};

struct child_exit {
  std::string spawn_error;  // non-empty: the program never ran ("No such file or directory")
  int spawn_errno = 0;
  int code = -1;   // the exit code, when it exited (>= 0)
  int signal = 0;  // the signal that killed it (> 0)

  bool spawned() const { return spawn_error.empty(); }
  // "exited with code 3", "was killed by signal 9 (SIGKILL)", "could not be started: <reason>"
  std::string describe() const;
};

struct child_events {
  std::function<void(child_stream, std::string line)> on_line;
  // A line longer than max_line_bytes began; it is skipped up to its newline.
  std::function<void(child_stream, std::size_t max_line_bytes)> on_overlong_line;
  // The stream reached EOF ("" ) or failed (the error text). The process may still be running.
  std::function<void(child_stream, std::string error)> on_closed;
  // Writing to stdin failed (the child closed it or died); further writes are dropped.
  std::function<void(std::string error)> on_stdin_error;
  std::function<void(const child_exit&)> on_exit;
};

class child_process {
 public:
  // Never throws for a program that cannot run (see spawn_error()); throws std::invalid_argument
  // for an empty argv. Callbacks run on `callbacks_on`.
  static std::unique_ptr<child_process> spawn(io_runtime& rt, const strand& callbacks_on,
                                              child_options options, child_events events);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  // "" when the process started; else why it could not (on_exit reports the same).
  const std::string& spawn_error() const;
  int pid() const;  // -1 when it never started

  // Queues `data` for stdin. false only when the queue bound would be exceeded or close_stdin()
  // was called; a write to a child that already died is dropped (on_exit tells the story).
  bool write(std::string data);
  // Closes stdin once the queued bytes are written (the child reads EOF).
  void close_stdin();
  // Signals the process group; false when the process is gone (or never started).
  bool kill(int signal);
  // SIGTERM now, SIGKILL after `grace` if it is still running. Idempotent.
  void terminate(std::chrono::milliseconds grace);
  // No callback starts after this returns.
  void cancel();

 private:
  struct impl;
  explicit child_process(std::shared_ptr<impl> p);
  std::shared_ptr<impl> impl_;
};

}  // namespace patchbay::kit
