#include "app/sd_notify.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <system_error>

#include "patchbay/kit/runtime.hpp"

namespace patchbay::app {
namespace {

std::optional<std::string> process_env(const char* name) {
  // Read once while the host starts, before it changes nothing in its environment.
  if (const char* v = std::getenv(name)) return std::string(v);  // NOLINT(concurrency-mt-unsafe)
  return std::nullopt;
}

std::optional<unsigned long long> parse_number(const std::optional<std::string>& s) {
  if (!s || s->empty()) return std::nullopt;
  unsigned long long v = 0;
  for (char c : *s) {
    if (c < '0' || c > '9' || v > (~0ULL - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<unsigned long long>(c - '0');
  }
  return v;
}

}  // namespace

sd_notifier::sd_notifier(const env_fn& env_in) {
  const env_fn env = env_in ? env_in : env_fn(&process_env);
  if (auto s = env("NOTIFY_SOCKET"); s && s->size() > 1 && ((*s)[0] == '/' || (*s)[0] == '@') &&
                                     s->size() < sizeof(sockaddr_un::sun_path))
    socket_ = *s;
  auto usec = parse_number(env("WATCHDOG_USEC"));
  auto pid = env("WATCHDOG_PID");
  auto pid_num = parse_number(pid);
  const bool for_us = !pid || (pid_num && *pid_num == static_cast<unsigned long long>(::getpid()));
  if (usec && *usec > 0 && for_us)
    watchdog_interval_ = std::chrono::microseconds(static_cast<int64_t>(*usec / 2));
}

bool sd_notifier::notify(std::string_view state) const {
  if (socket_.empty()) return false;
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() +
                                          (socket_[0] == '@' ? 0 : 1));
  ssize_t n = 0;
  do {
    n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                 len);
  } while (n < 0 && errno == EINTR);
  const int err = n < 0 ? errno : 0;
  ::close(fd);
  if (n < 0) {
    spdlog::debug("sd_notify to {}: {}", socket_,
                  std::error_code(err, std::generic_category()).message());
    return false;
  }
  return static_cast<size_t>(n) == state.size();
}

std::string sd_notifier::status_line(std::string_view text) {
  std::string s = "STATUS=";
  for (char c : text) s += c == '\n' || c == '\r' ? ' ' : c;
  return s;
}

std::string sd_notifier::monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return "MONOTONIC_USEC=" +
         std::to_string(static_cast<unsigned long long>(ts.tv_sec) * 1'000'000ULL +
                        static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL);
}

// The timer lives in a shared state: a ping running on an io thread keeps it alive while the
// owner goes away, and re-arms only while `stopped` is false.
struct sd_watchdog::state {
  explicit state(kit::io_runtime& rt) : timer(rt) {}
  std::mutex mu;
  bool stopped = false;
  kit::timer timer;
  std::shared_ptr<const sd_notifier> notifier;
  std::chrono::milliseconds every{0};

  static void arm(const std::shared_ptr<state>& self) {
    std::weak_ptr<state> weak = self;
    self->timer.after(self->every, [weak](bool cancelled) {
      auto s = weak.lock();
      if (!s || cancelled) return;
      s->notifier->notify("WATCHDOG=1");
      std::lock_guard lk(s->mu);
      if (!s->stopped) arm(s);
    });
  }
};

sd_watchdog::sd_watchdog(kit::io_runtime& rt, std::shared_ptr<const sd_notifier> notifier) {
  if (!notifier || !notifier->enabled() || notifier->watchdog_interval().count() == 0) return;
  state_ = std::make_shared<state>(rt);
  state_->notifier = std::move(notifier);
  state_->every = std::max(
      std::chrono::milliseconds(1),
      std::chrono::duration_cast<std::chrono::milliseconds>(state_->notifier->watchdog_interval()));
  state_->notifier->notify("WATCHDOG=1");
  std::lock_guard lk(state_->mu);
  state::arm(state_);
}

sd_watchdog::~sd_watchdog() {
  if (!state_) return;
  std::lock_guard lk(state_->mu);
  state_->stopped = true;
  state_->timer.cancel();
}

}  // namespace patchbay::app
