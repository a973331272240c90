// patchbay kit: the one HTTP/1.1 server (Boost.Beast inside, not in this header).
//
// Each connection runs on its own strand with per-phase deadlines (header read, body read, idle
// keep-alive, write). The handler is called on the connection's strand and answers through the
// exchange, from any thread, at any later time: with one response, or with a stream (chunked
// transfer encoding, for Server-Sent Events), or by upgrading to WebSocket (ws_server.hpp).
// Optionally TLS (tls_cert_file/tls_key_file). Bounded: max connections (in total and per client
// address, with a reserve kept for priority paths), max header and body sizes (413 past the body
// limit, 431 past the header limit), the bytes all request bodies in flight may take together
// (503), and a stream's unsent bytes. An optional screen answers a request on its header alone,
// before any body byte is read (e.g. 401 without a valid token).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "patchbay/kit/http_types.hpp"

namespace patchbay::kit {

class io_runtime;

// A streamed response body (chunked). Thread-safe.
class http_stream {
 public:
  virtual ~http_stream() = default;
  // Queues a chunk. Returns false (and drops it) if the peer is gone or the stream's unsent bytes
  // would exceed the server's max_stream_buffer_bytes.
  virtual bool write(std::string chunk) = 0;
  // Sends the final chunk and ends the response. Idempotent.
  virtual void close() = 0;
  // True once the peer disconnected or the stream was closed.
  virtual bool closed() const = 0;
  // Called once, on the connection's strand, when the peer goes away before close().
  virtual void on_peer_gone(std::function<void()> fn) = 0;
};

// One request awaiting its answer. Thread-safe. Exactly one of respond()/start_stream() may be
// called; if the exchange is destroyed unanswered, the server answers 500.
class http_exchange {
 public:
  virtual ~http_exchange() = default;
  virtual const http_request& request() const = 0;
  virtual void respond(http_response response) = 0;
  virtual std::shared_ptr<http_stream> start_stream(unsigned status, std::string content_type,
                                                    http_headers headers = {}) = 0;
};

using http_handler = std::function<void(std::shared_ptr<http_exchange>)>;

struct http_server_options {
  std::string listen = "127.0.0.1:8780";  // "host:port"; port 0 picks a free port
  std::size_t max_body_bytes = 1 << 20;
  // Optional: the body limit of one request, chosen from its method and path (the target without
  // its query) once its header was read (e.g. a larger one for a bulk endpoint); return
  // max_body_bytes for the default. Over the limit: 413, as for max_body_bytes. Called on the
  // connection's strand; must not block.
  std::function<std::size_t(std::string_view method, std::string_view path)> max_body_bytes_for;
  // The bytes the bodies of all requests in flight may take together. A request whose
  // Content-Length (or chunked body, as it grows) would take the total over it is answered 503
  // with Retry-After and Connection: close, before its body is read (no 100 Continue). A request's
  // share is released when its exchange is destroyed (or when it fails before reaching the
  // handler).
  std::size_t max_total_body_bytes = std::size_t{64} << 20;
  // Optional: called on the connection's strand once a request's header is read, before any body
  // byte is read and before a 100 Continue is sent. `head` is the request without its body.
  // Returning a response answers at once with it (Connection: close), without reading the body
  // and without calling the handler; nullopt lets the request through. Must not block.
  std::function<std::optional<http_response>(const http_request& head)> screen;
  std::size_t max_header_bytes = 16 << 10;
  // Connections served normally, in total.
  std::size_t max_connections = 1024;
  // Connections served normally from one client address (IP, any port); 0: no per-client limit.
  std::size_t max_connections_per_client = 0;
  // Connections beyond max_connections (or beyond their client's limit) kept for requests to a
  // priority path: such a connection has its request header read within reserve_header_timeout,
  // is served only when the path is a priority one (one request, then Connection: close), and
  // gets 503 otherwise. Past the reserve too: 503 at once.
  std::size_t reserve_connections = 0;
  // Priority paths: an entry ending in '/' is a prefix ("/hooks/"), any other must equal the path
  // ("/healthz").
  std::vector<std::string> priority_paths;
  std::chrono::milliseconds reserve_header_timeout{2'000};
  std::size_t max_stream_buffer_bytes = 1 << 20;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
  // HTTPS: when both are set, every connection is TLS (handshake within header_timeout). PEM
  // files: the certificate (optionally followed by its chain) and an unencrypted private key.
  // start() throws std::runtime_error naming the file when one cannot be used. WebSocket routes
  // (ws_server.hpp) are then wss://.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class http_server {
 public:
  http_server(io_runtime& rt, http_server_options options, http_handler handler);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds and starts accepting. Throws std::runtime_error naming the address on failure
  // (bad address, port in use, permission).
  void start();
  // "127.0.0.1:PORT" actually bound (useful with port 0). Valid after start().
  std::string local_endpoint() const;
  // Stops accepting and closes idle connections; in-flight responses get `grace` to finish, then
  // every connection is closed. Returns at once; safe to call from any thread. Idempotent: only
  // the first call's grace counts.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{2000});
  // The same, and `on_stopped` runs exactly once when stopping is complete: the acceptor is
  // closed and every connection is closed (its response finished, or cut off at the grace
  // deadline). It runs on a runtime thread. If stop() was already called, the callback still runs
  // once when that stopping completes, or at once (on a runtime thread) if it already has. Only
  // the first call's grace counts. If the runtime stops before stopping completes, on_stopped is
  // called from the thread that stops the runtime (inside io_runtime::stop()), or, when the
  // runtime is already stopping, right here before stop() returns. An exception from it is
  // reported through the diagnostic sink (diagnostics.hpp) and otherwise ignored. Typical use: set
  // a std::promise in it, and wait on the future before stopping the runtime, so that the grace
  // period is really honoured.
  void stop(std::chrono::milliseconds grace, std::function<void()> on_stopped);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace patchbay::kit
