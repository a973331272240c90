// patchbay kit: the one HTTP/1.1 client (Boost.Beast + OpenSSL inside, not in this header).
//
// Every request has a deadline for each phase (resolve+connect, TLS handshake, first byte,
// idle between body reads) and a total deadline; nothing waits forever. HTTPS verifies the peer
// certificate and host name (SNI set), against the system store or `ca_file`.
//
// Connections are reused: each io_runtime keeps a pool of idle keep-alive connections per origin
// (scheme, host, port, trust configuration), bounded per origin and in total, closed after an idle
// timeout and when the runtime stops; at most max_connections_per_origin connections per origin,
// further requests wait for one within their deadlines (http_pool_options). A request that found
// its pooled connection closed by the server before any byte of the answer arrived is sent once
// more on a fresh connection when that is safe: an idempotent method (GET, HEAD, PUT, DELETE,
// OPTIONS, TRACE) or `retry_safe`; otherwise it fails with the error seen. Every deadline covers
// both attempts as it covers one. TLS contexts are shared per trust configuration (a ca_file is
// read once, and again when it changes) and TLS sessions are resumed on fresh connections.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "patchbay/kit/http_types.hpp"

namespace patchbay::kit {

class io_runtime;

// Cancels a request from any thread (e.g. a long poll when its owner stops): the request then
// completes promptly with error "cancelled" (its `done` still runs exactly once, as always).
// Create one per request (std::make_shared<http_cancel>()) and put it in the request's `cancel`.
// cancel() before the request starts makes it complete with "cancelled" without sending it;
// cancel() after it completed does nothing.
//
// Thread safety: every member may be called from any thread.
class http_cancel {
 public:
  void cancel() noexcept;
  bool cancelled() const noexcept;

  // For the kit: `fn` runs once, on the thread that calls cancel(), when it is cancelled while
  // attached; returns false (and keeps nothing) when it is already cancelled.
  bool attach(std::function<void()> fn);
  void detach() noexcept;

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::function<void()> on_cancel_;
};

struct http_client_request {
  std::string method = "GET";
  std::string url;  // http://host:port/path?query or https://...
  http_headers headers;
  std::string body;
  std::string ca_file;  // HTTPS: trust this PEM bundle instead of the system store
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds first_byte_timeout{30'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds total_timeout{60'000};
  std::size_t max_body_bytes = 8 << 20;  // when the body is accumulated or written to body_file
  // If set (and on_body_chunk is not): a 2xx answer's body is written to this file (created or
  // truncated; left as far as it got on an error) instead of response.body, at most
  // max_body_bytes bytes (more: error "body too large", a Content-Length over it fails before any
  // byte is written). Other statuses are accumulated into response.body as usual. The writes are
  // plain buffered file writes on the io thread (local disk). Errors: "file: cannot open ...",
  // "file: write failed ...".
  std::string body_file;
  // With body_file: if set, the 2xx body passes through this on its way into the file (e.g. a
  // decryption): it is called with each piece as it arrives, then once more with an empty piece
  // and `last` true, and appends to `out` (empty on each call) the bytes to write. Returning false
  // ends the request with error "aborted" (the filter keeps its own reason). max_body_bytes
  // counts the bytes received, not the bytes written.
  std::function<bool(std::string_view piece, bool last, std::string& out)> body_file_filter;
  // If set, the body is delivered in pieces as it arrives (not accumulated into response.body).
  // Return false to abort the request (it then completes with error "aborted").
  std::function<bool(std::string_view)> on_body_chunk;
  // If set, called once the answer's status and headers are in, before any of its body: return
  // false to end the request there (it completes with error "aborted", the status and headers in
  // the response). With on_body_chunk: stream only the body of an answer worth keeping (a 200),
  // refuse a Content-Length past a cap before reading a byte.
  std::function<bool(unsigned status, const http_headers& headers)> on_head;
  // If set, cancel->cancel() ends the request early with error "cancelled" (see http_cancel).
  std::shared_ptr<http_cancel> cancel;
  // Take an idle pooled connection and give it back after the answer. false: a connection of its
  // own, closed after this request (long polls, which would hold a pooled connection for minutes).
  // A request with on_body_chunk (a streamed body) always has its own connection.
  bool reuse_connection = true;
  // The caller vouches that sending this request twice does no harm (e.g. a POST whose body
  // carries an idempotency key such as Feishu's `uuid`): it may then be resent on a fresh
  // connection like a GET when its pooled connection turns out dead. Methods GET, HEAD, PUT,
  // DELETE, OPTIONS and TRACE are always retry-safe.
  bool retry_safe = false;
};

struct http_client_response {
  unsigned status = 0;
  http_headers headers;
  std::string body;
  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

// `error` is empty on success (any HTTP status counts as success). Otherwise a short classified
// text: "connect timeout", "connection refused", "tls: ...", "first byte timeout",
// "idle timeout", "total timeout", "body too large", "aborted", "cancelled", "bad url: ...",
// "connection pool queue full" (http_pool_options).
using http_client_callback = std::function<void(std::string error, http_client_response)>;

// Starts a request on the runtime; `done` is called exactly once, on a runtime thread — except
// when the runtime stops first: then done is called with error "aborted" (and an empty response)
// from the thread that stops it, inside io_runtime::stop() (or its destructor); and if the runtime
// is already stopping, from the calling thread before http_fetch returns. So do not hold a lock
// that `done` takes while stopping the runtime or, after it began stopping, calling http_fetch.
void http_fetch(io_runtime& rt, http_client_request request, http_client_callback done);

// Blocking convenience for command-line tools (runs its own small io_context, so nothing is
// pooled; TLS contexts and sessions are shared all the same). Never call it on an io thread.
void http_fetch_blocking(http_client_request request, std::string& error,
                         http_client_response& response);

// The bounds of a runtime's connection pool.
struct http_pool_options {
  // Connections per origin (in use, idle or being opened; 0: no limit), like Node's maxSockets. A
  // request that finds none idle and the limit reached waits for one (an answered request's
  // connection, or room to open a fresh one when a connection closes), oldest first. The wait
  // counts against the request's connect timeout (error "connect timeout") and total timeout, and
  // ends on cancellation like any phase. Requests with their own connection (reuse_connection =
  // false, on_body_chunk) are not counted.
  std::size_t max_connections_per_origin = 64;
  // Requests waiting per origin; past it a request fails at once with error "connection pool
  // queue full".
  std::size_t max_waiting_per_origin = 4096;
  std::size_t max_idle_per_origin = 64;  // past it, the origin's oldest idle connection closes
  std::size_t max_idle_total = 256;      // past it, the oldest idle connection overall closes
  std::chrono::milliseconds idle_timeout{30'000};  // an idle connection closes after this
  std::size_t max_requests_per_connection = 1000;  // then the connection is closed, not pooled
};

// What a runtime's pool did since it was created (counters) and holds now (idle, connections,
// waiting).
struct http_pool_stats {
  std::uint64_t opened = 0;       // fresh connections established (TCP connected)
  std::uint64_t reused = 0;       // requests sent on a pooled connection
  std::uint64_t stale = 0;        // pooled connections found closed or failing before an answer
  std::uint64_t retried = 0;      // requests resent on a fresh connection after a stale one
  std::uint64_t expired = 0;      // idle connections closed by the idle timeout
  std::uint64_t tls_resumed = 0;  // fresh TLS connections that resumed a session
  std::size_t idle = 0;           // idle connections in the pool now
  std::uint64_t waited = 0;       // requests that queued for a connection (the limit reached)
  std::uint64_t refused = 0;      // requests failed because the queue was full
  std::size_t connections = 0;    // pooled connections now (in use, idle or being opened)
  std::size_t waiting = 0;        // requests queued now
};

// Sets the bounds of `rt`'s pool (idle connections past the new bounds close at once). Any thread.
void http_pool_configure(io_runtime& rt, const http_pool_options& options);
// `rt`'s pool figures (tests, benches). Any thread.
http_pool_stats http_pool_stats_of(io_runtime& rt);
// How many times a ca_file was read into a TLS context, in this process (tests, benches).
std::uint64_t http_tls_ca_file_loads() noexcept;

}  // namespace patchbay::kit
