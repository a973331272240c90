// patchbay kit: the one WebSocket client (Boost.Beast + OpenSSL inside, not in this header).
//
// ws_connect() dials ws:// or wss:// (path and query kept as given), runs the opening handshake
// and then carries binary and text messages until the connection ends. Every phase has a
// deadline: connect (resolve + TCP), handshake (TLS + HTTP upgrade), close (our close frame until
// the peer's answer), and optionally an idle timeout with WebSocket pings. wss verifies the peer
// certificate and host name (SNI set), against the system store or `ca_file`, as http_fetch does.
// Sends are queued (bounded by max_queued_bytes) and written one at a time, in order.
//
// Threading: every handler of one connection runs on that connection's own strand (never two at
// once, never concurrently with each other), except that when the runtime stops first, on_close
// runs on the thread that stops it (inside io_runtime::stop(), after the runtime's threads are
// joined), or on the calling thread if ws_connect is called while the runtime is stopping. The
// ws_connection methods may be called from any thread, including from inside the handlers.
//
// Lifetime: on_close is called exactly once per ws_connect, whatever happens (bad URL, refused,
// timeouts, handshake rejected, peer close, read error, close(), abort(), runtime stop); after it
// returns no handler is called again and the handlers are released (so they may hold the
// connection's handle without a leak). Dropping the last handle closes the connection as
// close(1000) would; the connection finishes by itself and on_close still runs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "patchbay/kit/http_types.hpp"
#include "patchbay/kit/ws_types.hpp"

namespace patchbay::kit {

class io_runtime;

struct ws_client_options {
  std::string url;       // ws://host:port/path?query or wss://...
  http_headers headers;  // added to the upgrade request (Host and the WebSocket ones are ours)
  std::string ca_file;   // wss: trust this PEM bundle instead of the system store
  std::chrono::milliseconds connect_timeout{10'000};    // resolve + TCP connect
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS handshake + HTTP upgrade
  std::chrono::milliseconds close_timeout{5'000};       // close(): queued sends + close handshake
  // 0: none. Otherwise the connection fails with "idle timeout" when nothing at all was received
  // for this long; with keep_alive_pings, a WebSocket ping is sent after half of it, so a live
  // peer (whose pong counts as received) keeps the connection up.
  std::chrono::milliseconds idle_timeout{0};
  bool keep_alive_pings = false;
  std::size_t max_message_bytes =
      16 << 20;  // a bigger incoming message: close 1009, "message too big"
  std::size_t max_queued_bytes = 16 << 20;  // unsent bytes; a send past it fails
};

// The 101 answer.
struct ws_open_info {
  unsigned status = 101;
  http_headers headers;
};

struct ws_client_handlers {
  std::function<void(const ws_open_info&)> on_open;
  std::function<void(ws_message_kind, std::string payload)> on_message;
  std::function<void(const ws_close_info&)> on_close;
};

// A handle to one client connection. Thread-safe.
class ws_connection {
 public:
  virtual ~ws_connection() = default;
  // Queue a message (also before the handshake completed: it is sent once open). False (and the
  // message dropped) when the connection is closing or closed, or the queue would exceed
  // max_queued_bytes.
  virtual bool send_binary(std::string payload) = 0;
  virtual bool send_text(std::string payload) = 0;
  // Sends the close frame after the messages already queued, then waits for the peer's answer;
  // after close_timeout the connection is torn down (error "close timeout"). Before the
  // handshake completed it just stops connecting. Only the first close()/abort() counts.
  virtual void close(std::uint16_t code = 1000, std::string reason = {}) = 0;
  // Drops the connection at once, without a close frame (cause aborted).
  virtual void abort() = 0;
};

// Starts connecting; see the threading and lifetime rules at the top. Never throws for network or
// URL problems (those arrive through on_close).
std::shared_ptr<ws_connection> ws_connect(io_runtime& rt, ws_client_options options,
                                          ws_client_handlers handlers);

// For tests: client connection objects alive right now (a finished connection is destroyed once
// its last operation completed, whether or not its handle is still held).
std::size_t ws_live_connections() noexcept;

}  // namespace patchbay::kit
