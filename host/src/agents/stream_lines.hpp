// What the HTTP-based agent backends (`http`, `openai`) share, in one place and without I/O:
//  - line_splitter (patchbay/common/line_splitter.hpp): LF / CRLF lines with a bound on a line's
//    size (NDJSON answers, and the first line the `http` backend sniffs);
//  - body_prefix: the first bytes of an answer body, kept for error excerpts;
//  - redact / excerpt: a short, printable, secret-free excerpt of a body for error texts and logs;
//  - classify_transport: the kit HTTP client's error texts as a small set of kinds, so each
//    backend words its own user-facing text.
// Pure functions and plain objects; an object is used by one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "patchbay/common/line_splitter.hpp"

namespace patchbay::agents {

// The bounded line splitter has one home in common/ (stop policy here: an answer with an overlong
// line is not read further).
using common::line_splitter;

// Keeps the first `cap` bytes of a body; the rest is counted, not stored.
class body_prefix {
 public:
  explicit body_prefix(std::size_t cap = 8 << 10) : cap_(cap) {}
  void add(std::string_view bytes);
  const std::string& text() const { return text_; }
  std::size_t total() const { return total_; }
  bool complete() const { return total_ == text_.size(); }

 private:
  std::size_t cap_;
  std::string text_;
  std::size_t total_ = 0;
};

// Replaces every occurrence of each non-empty `secrets` entry, and the credential after any
// "Bearer " / "Basic ", by "[redacted]".
std::string redact(std::string_view text, const std::vector<std::string>& secrets);

// A one-line excerpt of at most `max_chars` code points: redacted first (so a cut never leaves
// part of a secret), control characters and whitespace runs as one space, invalid UTF-8 as '?',
// trimmed, "..." appended when cut. "" for an empty body.
std::string excerpt(std::string_view body, const std::vector<std::string>& secrets,
                    std::size_t max_chars = 200);

enum class transport_failure {
  none,                // "" (the request completed; any HTTP status)
  aborted,             // "aborted", "cancelled": we stopped it, or the runtime is stopping
  connect_timeout,     // "connect timeout", "tls: handshake timeout"
  refused,             // "connection refused"
  unreachable,         // "resolve failed: ...", "connect failed: ..."
  tls,                 // "tls: ..." (certificate, handshake)
  first_byte_timeout,  // "first byte timeout"
  idle_timeout,        // "idle timeout"
  total_timeout,       // "total timeout"
  closed_early,        // "connection closed ...", "read failed: ..." (cut off)
  other,               // anything else ("bad url: ...", "write failed: ...", ...)
};
transport_failure classify_transport(std::string_view kit_error);

// True for 200..299.
inline bool is_success_status(unsigned status) { return status >= 200 && status < 300; }

}  // namespace patchbay::agents
