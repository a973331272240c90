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

#include <cstddef>
#include <string>

#include "fake_ilink.hpp"
#include "fake_server.hpp"

namespace patchbay::fakes::ilink {

struct server_options {
  std::string listen = "127.0.0.1:0";
  std::size_t max_connections = 8192;      // every parked long poll holds one
  std::size_t max_body_bytes = 32u << 20;  // CDN uploads
};

// start() binds and sets fake's base URL; stop() answers nothing more (common::fake_http_server).
class ilink_server : public common::fake_http_server {
 public:
  ilink_server(kit::io_runtime& rt, fake_ilink& fake, const server_options& options);
};

}  // namespace patchbay::fakes::ilink
