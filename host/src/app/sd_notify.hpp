// systemd's notification protocol (sd_notify), spoken directly: one datagram per message to the
// AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an abstract socket written "@name"), no
// libsystemd. Without $NOTIFY_SOCKET (not run by systemd with Type=notify) every call is a no-op.
//
// The host sends READY=1 with a STATUS= summary once its channels were brought up, RELOADING=1
// (with MONOTONIC_USEC=) and then READY=1 around a reload, STOPPING=1 at stop, and WATCHDOG=1
// every WATCHDOG_USEC/2 when systemd asks for it ($WATCHDOG_USEC set, $WATCHDOG_PID unset or
// ours). The environment is read, never changed: children inherit $NOTIFY_SOCKET, and systemd
// ignores their messages (NotifyAccess=main, the default).
//
// Thread safety: sd_notifier is immutable after construction; notify() may be called from any
// thread and never blocks (a non-blocking send; a full socket drops the message).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace patchbay::kit {
class io_runtime;
}

namespace patchbay::app {

class sd_notifier {
 public:
  using env_fn = std::function<std::optional<std::string>(const char* name)>;
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID through `env` (default: the process
  // environment; read once, here).
  explicit sd_notifier(const env_fn& env = {});

  bool enabled() const { return !socket_.empty(); }
  // Sends `state` (newline-separated KEY=VALUE assignments) as one datagram. False when disabled
  // or the send failed (logged at debug level only: notification is best effort).
  bool notify(std::string_view state) const;
  // The interval to send WATCHDOG=1 at (half of WATCHDOG_USEC); zero when no watchdog is asked
  // for this process.
  std::chrono::microseconds watchdog_interval() const { return watchdog_interval_; }

  // "STATUS=" text made safe for one assignment: newlines become spaces.
  static std::string status_line(std::string_view text);
  // "MONOTONIC_USEC=<CLOCK_MONOTONIC now in µs>", sent with RELOADING=1.
  static std::string monotonic_usec();

 private:
  std::string socket_;  // as given ("@..." = abstract)
  std::chrono::microseconds watchdog_interval_{0};
};

// Sends WATCHDOG=1 every watchdog_interval() from a timer on `rt` (so a wedged runtime stops the
// pings and systemd restarts the host). Inactive when the interval is zero. Destroying it stops
// the pings; it may be destroyed while the runtime runs.
class sd_watchdog {
 public:
  sd_watchdog(kit::io_runtime& rt, std::shared_ptr<const sd_notifier> notifier);
  ~sd_watchdog();
  sd_watchdog(const sd_watchdog&) = delete;
  sd_watchdog& operator=(const sd_watchdog&) = delete;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace patchbay::app
