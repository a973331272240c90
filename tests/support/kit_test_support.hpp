// Helpers for the kit tests: blocking POSIX sockets with timeouts, and a synchronous wrapper
// around http_fetch. No Asio here.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
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
  // From `source_ip` (another loopback address, e.g. "127.0.0.2": a second client address).
  raw_client(unsigned short port, const char* source_ip);
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

// A request to `url` with deadlines for loopback peers: connect 3 s, first byte and idle 5 s,
// total 8 s.
patchbay::kit::http_client_request quick_request(const std::string& url,
                                                 const std::string& method = "GET");

// http_fetch on `rt`, waiting (up to `wait`) for the callback.
fetch_result fetch(patchbay::kit::io_runtime& rt, patchbay::kit::http_client_request req,
                   std::chrono::milliseconds wait = 8000ms);

// A kit server on 127.0.0.1:0 with its own runtime.
struct test_server {
  explicit test_server(patchbay::kit::http_handler handler,
                       patchbay::kit::http_server_options options = {}, unsigned threads = 2)
      : rt(threads) {
    options.listen = "127.0.0.1:0";
    server = std::make_unique<patchbay::kit::http_server>(rt, options, std::move(handler));
    server->start();
    endpoint = server->local_endpoint();
    port = port_of(endpoint);
  }
  ~test_server() {
    server->stop(0ms);
    server.reset();
    rt.stop();
  }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;
  std::string url(const std::string& target) const { return "http://" + endpoint + target; }

  patchbay::kit::io_runtime rt;
  std::unique_ptr<patchbay::kit::http_server> server;
  std::string endpoint;
  unsigned short port = 0;
};

// Hands the test the streams/exchanges the handler receives.
template <class T>
struct slot {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::shared_ptr<T>> items;
  void put(std::shared_ptr<T> v) {
    std::lock_guard lock(mtx);
    items.push_back(std::move(v));
    cv.notify_all();
  }
  std::shared_ptr<T> get(std::size_t index = 0, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mtx);
    cv.wait_for(lock, timeout, [&] { return items.size() > index; });
    return items.size() > index ? items[index] : nullptr;
  }
};

}  // namespace kit_test
