// patchbay kit: WebSocket sessions on the kit HTTP server (Boost.Beast inside, not in this header).
//
// A route of an http_server becomes a WebSocket endpoint by answering its request with
// ws_accept() instead of respond(): the connection is upgraded (101) and from then on carries
// WebSocket messages, on the same port as the plain HTTP routes. With tls_cert_file/tls_key_file
// set on the server, that is wss:// next to https://. To refuse an upgrade, respond() as usual
// (e.g. 403 with custom headers): the client sees the status and headers.
//
// Made for fake platform servers and tests as much as for production: besides send and close, a
// session can be aborted (dropped without a close frame) and stalled (stop reading, so pings go
// unanswered and the peer's sends back up).
//
// Threading: a session's handlers run on its connection's strand, one at a time; when the runtime
// stops first, on_close runs on the thread that stops it (after the runtime's threads are
// joined). ws_session methods may be called from any thread, including inside the handlers.
// Lifetime: on_close is called exactly once for every session ws_accept returned, whatever
// happens; afterwards no handler is called again and the handlers are released. Dropping the last
// handle closes the session as close(1000) would. http_server::stop(grace) closes open sessions
// with 1001 and tears them down after `grace`; its on_stopped waits for them too. A session counts
// as one of the server's max_connections. Compression (permessage-deflate) is never negotiated.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/http_types.hpp"
#include "patchbay/kit/ws_types.hpp"

namespace patchbay::kit {

struct ws_server_options {
  http_headers response_headers;                        // added to the 101 answer
  std::chrono::milliseconds handshake_timeout{10'000};  // writing the 101 (TLS is already up)
  std::chrono::milliseconds close_timeout{5'000};       // close(): queued sends + close handshake
  std::chrono::milliseconds idle_timeout{0};            // 0: none; as in ws_client_options
  bool keep_alive_pings = false;
  std::size_t max_message_bytes =
      16 << 20;  // a bigger incoming message: close 1009, "message too big"
  std::size_t max_queued_bytes = 16 << 20;  // unsent bytes; a send past it fails
};

// The server side of one WebSocket connection. Thread-safe.
class ws_session {
 public:
  virtual ~ws_session() = default;
  // The upgrade request (path, query, headers, remote address).
  virtual const http_request& request() const = 0;
  // Queue a message (before on_open too). False when closing/closed or over max_queued_bytes.
  virtual bool send_binary(std::string payload) = 0;
  virtual bool send_text(std::string payload) = 0;
  // The close frame after the queued messages; torn down after close_timeout. First call counts.
  virtual void close(std::uint16_t code = 1000, std::string reason = {}) = 0;
  // Drops the TCP connection at once, without a close frame (the peer sees a broken connection).
  virtual void abort() = 0;
  // stall(true): read nothing more (after a read already under way completes, which may deliver
  // one more message): pings are not answered, the peer's messages and close frame stay unread.
  // stall(false) resumes. A stalled session still sends, and close() still times out.
  virtual void stall(bool stalled = true) = 0;
};

struct ws_session_handlers {
  std::function<void(ws_session&)> on_open;  // the 101 went out
  std::function<void(ws_session&, ws_message_kind, std::string payload)> on_message;
  std::function<void(ws_session&, const ws_close_info&)> on_close;
};

// True when `req` asks for a WebSocket upgrade (GET, Connection: upgrade, Upgrade: websocket,
// Sec-WebSocket-Key, Sec-WebSocket-Version: 13).
bool is_websocket_upgrade(const http_request& req);

// Answers `exchange` by upgrading its connection to WebSocket. Returns null (and answers 400 when
// it was still unanswered) when the request is not a WebSocket upgrade, the exchange was already
// answered, or it does not come from a kit http_server; otherwise the session, whose on_close
// will be called exactly once. Call it from the http_handler or later, from any thread.
std::shared_ptr<ws_session> ws_accept(const std::shared_ptr<http_exchange>& exchange,
                                      ws_server_options options, ws_session_handlers handlers);

// For tests: server session objects alive right now.
std::size_t ws_live_sessions() noexcept;

}  // namespace patchbay::kit
