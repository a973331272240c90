// patchbay kit: the one HTTP/1.1 client (Boost.Beast + OpenSSL inside, not in this header).
//
// Every request has a deadline for each phase (resolve+connect, TLS handshake, first byte,
// idle between body reads) and a total deadline; nothing waits forever. HTTPS verifies the peer
// certificate and host name (SNI set), against the system store or `ca_file`.
#pragma once

#include <chrono>
#include <cstddef>
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
  std::size_t max_body_bytes = 8 << 20;  // only when the body is accumulated
  // If set, the body is delivered in pieces as it arrives (not accumulated into response.body).
  // Return false to abort the request (it then completes with error "aborted").
  std::function<bool(std::string_view)> on_body_chunk;
  // If set, cancel->cancel() ends the request early with error "cancelled" (see http_cancel).
  std::shared_ptr<http_cancel> cancel;
};

struct http_client_response {
  unsigned status = 0;
  http_headers headers;
  std::string body;
  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

// `error` is empty on success (any HTTP status counts as success). Otherwise a short classified
// text: "connect timeout", "connection refused", "tls: ...", "first byte timeout",
// "idle timeout", "total timeout", "body too large", "aborted", "cancelled", "bad url: ...".
using http_client_callback = std::function<void(std::string error, http_client_response)>;

// Starts a request on the runtime; `done` is called exactly once, on a runtime thread — except
// when the runtime stops first: then done is called with error "aborted" (and an empty response)
// from the thread that stops it, inside io_runtime::stop() (or its destructor); and if the runtime
// is already stopping, from the calling thread before http_fetch returns. So do not hold a lock
// that `done` takes while stopping the runtime or, after it began stopping, calling http_fetch.
void http_fetch(io_runtime& rt, http_client_request request, http_client_callback done);

// Blocking convenience for command-line tools (runs its own small io_context). Never call it on
// an io thread.
void http_fetch_blocking(http_client_request request, std::string& error,
                         http_client_response& response);

}  // namespace patchbay::kit
