// A bound AF_UNIX datagram socket, as systemd binds $NOTIFY_SOCKET: a path in the temporary
// directory or an abstract "@" name. For the sd_notify tests (host/app unit, integration).
#pragma once

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace pbtest {

class notify_socket {
 public:
  explicit notify_socket(bool abstract = false) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const std::string unique =
        "pb_sdn_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len = 0;
    if (abstract) {
      name_ = "@" + unique;
      std::memcpy(addr.sun_path + 1, unique.data(), unique.size());
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + unique.size());
    } else {
      path_ = (std::filesystem::temp_directory_path() / unique).string();
      std::filesystem::remove(path_);
      name_ = path_;
      std::memcpy(addr.sun_path, path_.data(), path_.size());
      len = static_cast<socklen_t>(sizeof addr);
    }
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  }
  ~notify_socket() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) std::filesystem::remove(path_);
  }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  bool bound() const { return bound_; }
  // The NOTIFY_SOCKET value.
  const std::string& name() const { return name_; }
  // The next datagram, or "" when none arrives within `wait`.
  std::string receive(std::chrono::milliseconds wait = std::chrono::seconds(2)) const {
    timeval tv{static_cast<time_t>(wait.count() / 1000),
               static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    ssize_t n = 0;
    do {
      n = ::recv(fd_, buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  // The next datagram that is not a WATCHDOG=1 ping ("" after `wait` without one); pings seen
  // on the way are counted in `pings`.
  std::string receive_event(std::chrono::milliseconds wait, int* pings = nullptr) const {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      std::string m = receive(std::max(left, std::chrono::milliseconds(1)));
      if (m.empty()) return m;
      if (m != "WATCHDOG=1") return m;
      if (pings) ++*pings;
    }
    return {};
  }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  int fd_ = -1;
  bool bound_ = false;
  std::string path_, name_;
};

}  // namespace pbtest
