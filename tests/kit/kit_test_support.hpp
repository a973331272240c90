// Helpers for the kit tests: blocking POSIX sockets with timeouts, and a synchronous wrapper
// around http_fetch. No Asio here.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/runtime.hpp"

namespace kit_test {

using namespace std::chrono_literals;

// "127.0.0.1:PORT" -> PORT
unsigned short port_of(const std::string& endpoint);

// A port on 127.0.0.1 with nothing listening (bound once, then released).
unsigned short unused_port();

// Polls `pred` every few milliseconds until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5000ms);

// A plain TCP client socket to 127.0.0.1.
class raw_client {
 public:
  explicit raw_client(unsigned short port);
  ~raw_client();
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& data);
  // Reads until `marker` was received (returns everything read so far, marker included), or
  // the timeout/EOF passes (returns what was read).
  std::string read_until(const std::string& marker, std::chrono::milliseconds timeout = 5000ms);
  // Reads one complete response with a Content-Length body (kept data beyond it is buffered).
  std::string read_response(std::chrono::milliseconds timeout = 5000ms);
  // True when the peer closed (EOF or reset) within `timeout`; discards data read meanwhile.
  bool wait_closed(std::chrono::milliseconds timeout = 5000ms);
  void close();

 private:
  int read_some(std::chrono::milliseconds timeout);  // >0 bytes, 0 EOF, -1 error, -2 timeout
  int fd_ = -1;
  std::string pending_;
};

// A listening socket on 127.0.0.1:0 that never accepts (the kernel completes handshakes until
// the backlog is full; past that, Linux drops further SYNs, so connecting hangs).
class silent_listener {
 public:
  explicit silent_listener(int backlog = 16);
  ~silent_listener();
  silent_listener(const silent_listener&) = delete;
  silent_listener& operator=(const silent_listener&) = delete;
  unsigned short port() const { return port_; }

 private:
  int fd_ = -1;
  unsigned short port_ = 0;
};

struct fetch_result {
  bool completed = false;
  int calls = 0;
  std::string error;
  patchbay::kit::http_client_response response;
};

// http_fetch on `rt`, waiting (up to `wait`) for the callback.
fetch_result fetch(patchbay::kit::io_runtime& rt, patchbay::kit::http_client_request req,
                   std::chrono::milliseconds wait = 8000ms);

}  // namespace kit_test
