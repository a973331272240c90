// Helpers for the WebSocket tests: event recorders for both ends and a kit HTTP server (plain or
// TLS, with generated certificates) whose /ws route accepts WebSocket sessions. Public kit headers
// only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kit_test_support.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "patchbay/kit/test_cert.hpp"
#include "patchbay/kit/ws_client.hpp"
#include "patchbay/kit/ws_server.hpp"

namespace ws_test {

using namespace std::chrono_literals;
using message = std::pair<patchbay::kit::ws_message_kind, std::string>;

// What one end saw. Thread-safe; shared with the handlers (so it outlives them).
struct recorder {
  std::mutex mtx;
  std::condition_variable cv;
  int opens = 0;
  patchbay::kit::ws_open_info open_info;
  std::vector<message> messages;
  int closes = 0;
  patchbay::kit::ws_close_info close_info;

  bool wait_open(std::chrono::milliseconds timeout = 5000ms);
  bool wait_closed(std::chrono::milliseconds timeout = 5000ms);
  bool wait_messages(std::size_t n, std::chrono::milliseconds timeout = 5000ms);
  int close_count();
  patchbay::kit::ws_close_info closed_info();
  std::vector<message> received();

  void opened(patchbay::kit::ws_open_info info);
  void got(patchbay::kit::ws_message_kind kind, std::string payload);
  void closed(const patchbay::kit::ws_close_info& info);
};

// Client handlers that record into `rec`.
patchbay::kit::ws_client_handlers record_into(const std::shared_ptr<recorder>& rec);

// A connection and what it saw.
struct client {
  std::shared_ptr<recorder> rec = std::make_shared<recorder>();
  std::shared_ptr<patchbay::kit::ws_connection> conn;
};
client connect(patchbay::kit::io_runtime& rt, patchbay::kit::ws_client_options options);

// A temporary directory, removed with everything in it.
struct temp_dir {
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string path;
};

// A kit server on 127.0.0.1:0 (its own runtime) whose /ws route accepts WebSocket sessions and,
// by default, echoes every message back with its kind; every other path answers 200 "plain".
class ws_server_env {
 public:
  struct config {
    bool tls = false;
    patchbay::kit::ws_server_options ws;
    bool echo = true;
    std::function<void(patchbay::kit::ws_session&)> on_open;  // after recording
    // Called for every request first; return true when it answered the exchange itself.
    std::function<bool(const std::shared_ptr<patchbay::kit::http_exchange>&)> intercept;
  };

  explicit ws_server_env(config cfg);
  ws_server_env() : ws_server_env(config{}) {}
  ~ws_server_env();
  ws_server_env(const ws_server_env&) = delete;
  ws_server_env& operator=(const ws_server_env&) = delete;

  std::string ws_url(const std::string& target = "/ws") const;
  std::string http_url(const std::string& target) const;
  const std::string& ca_file() const { return certs_.ca_file; }

  // The n-th accepted session (waits for it), and what it saw.
  std::shared_ptr<patchbay::kit::ws_session> session(std::size_t n = 0,
                                                     std::chrono::milliseconds timeout = 5000ms);
  std::shared_ptr<recorder> events(std::size_t n = 0, std::chrono::milliseconds timeout = 5000ms);
  std::size_t accepted();
  // Drops the fixture's handles (a dropped session closes, as the contract says).
  void drop_handles();

  patchbay::kit::io_runtime rt{2};
  std::unique_ptr<patchbay::kit::http_server> server;

 private:
  void on_request(const std::shared_ptr<patchbay::kit::http_exchange>& ex);

  config cfg_;
  temp_dir dir_;
  patchbay::kit::test_cert_files certs_;
  std::string endpoint_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<patchbay::kit::ws_session>> sessions_;
  std::vector<std::shared_ptr<recorder>> events_;
  std::size_t accepted_ = 0;
};

// Fast deadlines for loopback tests (generous enough for a loaded CI machine).
patchbay::kit::ws_client_options quick(const std::string& url);

}  // namespace ws_test
