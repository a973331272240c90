// patchbay-fake-ilink: the network side. Serves fake_ilink over the kit HTTP server.
//
// Long polls never block a thread: a parked exchange is kept in a map with a kit timer for its
// hold; whichever comes first — the timer, or a completion returned by fake_ilink (a message was
// injected, the session expired) — answers it, exactly once. Stalled requests are held the same
// way. One mutex serializes fake_ilink and the maps; answers are posted to the connections
// (respond() does not block), so nothing slow runs under it.
//
// drop_connection: the kit server has no way to close a connection without answering, so a
// dropped request is answered with a response whose header block no HTTP parser accepts (a
// control character in a header value): the client gets a transport error and no HTTP status.
// See tools/fakes/README.md.
//
// Thread safety: start/stop from one thread; everything else runs on the runtime's threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "fake_ilink.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace patchbay::fakes::ilink {

struct server_options {
  std::string listen = "127.0.0.1:0";
  std::size_t max_connections = 8192;      // every parked long poll holds one
  std::size_t max_body_bytes = 32u << 20;  // CDN uploads
};

class ilink_server {
 public:
  ilink_server(kit::io_runtime& rt, fake_ilink& fake, server_options options);
  ~ilink_server();
  ilink_server(const ilink_server&) = delete;
  ilink_server& operator=(const ilink_server&) = delete;

  // Binds (throws std::runtime_error naming the address on failure) and sets fake's base URL.
  void start();
  std::string local_endpoint() const;
  // Stops accepting, answers nothing more; `on_stopped` runs once every connection is closed.
  void stop(std::chrono::milliseconds grace, std::function<void()> on_stopped);

 private:
  struct state;
  std::shared_ptr<state> state_;
  std::unique_ptr<kit::http_server> server_;
};

}  // namespace patchbay::fakes::ilink
