#include "kit_test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace kit_test {

namespace {

sockaddr_in loopback(unsigned short port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

unsigned short bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

}  // namespace

unsigned short port_of(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("no port in " + endpoint);
  return static_cast<unsigned short>(std::stoul(endpoint.substr(colon + 1)));
}

unsigned short unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto addr = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const unsigned short port = bound_port(fd);
  ::close(fd);
  return port;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// --- raw_client ---

raw_client::raw_client(unsigned short port) : raw_client(port, nullptr) {}

raw_client::raw_client(unsigned short port, const char* source_ip) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (source_ip != nullptr) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source_ip, &src.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
  }
  auto addr = loopback(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

raw_client::~raw_client() { close(); }

void raw_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool raw_client::send(const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

int raw_client::read_some(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return -1;
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r == 0) return -2;
  if (r < 0) return -1;
  char buf[8192];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n < 0) return -1;
  pending_.append(buf, static_cast<std::size_t>(n));
  return static_cast<int>(n);
}

std::string raw_client::read_until(const std::string& marker, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto pos = pending_.find(marker);
    if (pos != std::string::npos) {
      std::string out = pending_.substr(0, pos + marker.size());
      pending_.erase(0, pos + marker.size());
      return out;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || read_some(left) <= 0) {
      std::string out = std::move(pending_);
      pending_.clear();
      return out;
    }
  }
}

std::string raw_client::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string head = read_until("\r\n\r\n", timeout);
  if (head.find("\r\n\r\n") == std::string::npos) return head;
  std::size_t length = 0;
  std::string lower = head;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto cl = lower.find("content-length:");
  if (cl != std::string::npos) length = std::stoul(head.substr(cl + 15));
  while (pending_.size() < length) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || read_some(left) <= 0) break;
  }
  const std::size_t take = std::min(length, pending_.size());
  head += pending_.substr(0, take);
  pending_.erase(0, take);
  return head;
}

bool raw_client::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const int r = read_some(left);
    if (r == 0 || r == -1) return true;
    if (r == -2) return false;
    pending_.clear();
  }
}

// --- silent_listener ---

silent_listener::silent_listener(int backlog) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  auto addr = loopback(0);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd_, backlog) != 0) {
    throw std::runtime_error("silent_listener: bind/listen failed");
  }
  port_ = bound_port(fd_);
}

silent_listener::~silent_listener() {
  if (fd_ >= 0) ::close(fd_);
}

// --- fetch ---

patchbay::kit::http_client_request quick_request(const std::string& url,
                                                 const std::string& method) {
  patchbay::kit::http_client_request req;
  req.method = method;
  req.url = url;
  req.connect_timeout = 3s;
  req.first_byte_timeout = 5s;
  req.idle_timeout = 5s;
  req.total_timeout = 8s;
  return req;
}

fetch_result fetch(patchbay::kit::io_runtime& rt, patchbay::kit::http_client_request req,
                   std::chrono::milliseconds wait) {
  struct shared_state {
    std::mutex mtx;
    std::condition_variable cv;
    fetch_result result;
  };
  auto state = std::make_shared<shared_state>();
  patchbay::kit::http_fetch(
      rt, std::move(req), [state](std::string error, patchbay::kit::http_client_response response) {
        std::lock_guard lock(state->mtx);
        ++state->result.calls;
        state->result.completed = true;
        state->result.error = std::move(error);
        state->result.response = std::move(response);
        state->cv.notify_all();
      });
  std::unique_lock lock(state->mtx);
  state->cv.wait_for(lock, wait, [&] { return state->result.completed; });
  return state->result;
}

}  // namespace kit_test
