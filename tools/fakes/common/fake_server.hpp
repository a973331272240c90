// The network side every fake platform server shares: the kit HTTP server wired to the fake's
// state (tools/fakes/*/server.cpp), start/stop, and the "dropped" answer.
//
// A fake's state derives from served_state; fake_http_server keeps it in a shared_ptr, hands each
// exchange to on_request through a weak_ptr (a request arriving while the server is destroyed
// finds no state), tells it the bound endpoint from start(), and calls shut() on stop and on
// destruction (the state drops what it holds and answers nothing more).
//
// Thread safety: start/stop/destruction from one thread; on_request runs on the runtime's threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace patchbay::fakes::common {

struct served_state {
  virtual ~served_state() = default;
  // One request, on a runtime thread.
  virtual void on_request(std::shared_ptr<kit::http_exchange> ex) = 0;
  // From start(), once bound: `endpoint` is "host:port" (set the fake's base URLs).
  virtual void on_listening(const std::string& endpoint) = 0;
  // Drop held exchanges and timers; answer nothing more.
  virtual void shut() = 0;
};

// What every fake's state keeps: the runtime, the fake, the one mutex that serializes the fake
// (and whatever the derived state holds), and whether the server was shut.
template <class Fake>
struct locked_fake : served_state {
  locked_fake(kit::io_runtime& r, Fake& f) : rt(r), fake(f) {}
  kit::io_runtime& rt;
  Fake& fake;
  std::mutex mtx;        // guards fake and everything the derived state keeps
  bool stopped = false;  // under mtx: set by shut(); nothing is answered after it
};

class fake_http_server {
 public:
  fake_http_server(kit::io_runtime& rt, const kit::http_server_options& options,
                   std::shared_ptr<served_state> state);
  virtual ~fake_http_server();
  fake_http_server(const fake_http_server&) = delete;
  fake_http_server& operator=(const fake_http_server&) = delete;

  // Binds (throws std::runtime_error naming the address on failure), then on_listening.
  void start();
  std::string local_endpoint() const;
  // Stops accepting, then shut(); `on_stopped` runs once every connection is closed.
  void stop(std::chrono::milliseconds grace, std::function<void()> on_stopped);

 private:
  std::shared_ptr<served_state> state_;
  std::unique_ptr<kit::http_server> server_;
};

// An exchange answered later, with the timer that ends its wait (destroying it cancels the
// timer; the exchange answers 500 if dropped unanswered).
struct held_exchange {
  std::shared_ptr<kit::http_exchange> ex;
  std::unique_ptr<kit::timer> timer;
};

// What a dropped request gets: a header `header_name` whose value has a control character, which
// every HTTP/1.1 parser rejects, so the client reads no status, only a broken connection (the
// kit server cannot close a connection without answering).
kit::http_response unparsable_response(std::string_view header_name);

// Logs "<method> <path> -> <outcome>" at debug, except for the control API (/_fake/...).
void log_request(const kit::http_request& req, std::string_view outcome);

}  // namespace patchbay::fakes::common
