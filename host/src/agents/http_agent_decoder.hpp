// The `http` agent's answer body, decoded as it arrives: either NDJSON (one thread_response JSON
// object per line) or Server-Sent Events (one thread_response per event's `data:`; a `[DONE]`
// data is ignored). Each payload is checked (parse_thread_response) and its `turn` forced to the
// turn being answered, so a backend that omits it, or copies another id, still lands here.
//
// Which framing: the kit client hands the body to us before it tells anyone the response headers,
// so the body's first line decides: a line starting with '{' is NDJSON; an SSE field line
// (`data:`, `event:`, `id:`, `retry:`) or comment (`:`) is SSE. Anything else (an HTML error page,
// plain text) is "not an answer": decoding stops, and the caller decides with the status code.
//
// Decoding stops at the first terminal payload (error/done) and at the first invalid line; the
// caller then stops reading. Pure; one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agents/sse_parser.hpp"
#include "agents/stream_lines.hpp"

namespace patchbay::agents {

class answer_decoder {
 public:
  enum class framing { unknown, ndjson, sse };
  using emit_fn = std::function<void(std::string payload_json)>;

  answer_decoder(std::string turn_id, emit_fn emit);

  // Feeds body bytes. False when reading should stop: a terminal was emitted, or problem() is set.
  bool feed(std::string_view bytes);
  // The body ended cleanly: a last NDJSON line without "\n" counts, a last SSE event without a
  // blank line after it too.
  void end();

  bool terminal_sent() const { return terminal_; }
  bool any_payload() const { return payloads_ > 0; }
  // "" or why decoding stopped early (an invalid line, an oversized line, not NDJSON nor SSE).
  const std::string& problem() const { return problem_; }
  framing kind() const { return framing_; }

 private:
  bool on_line(std::string_view line);
  bool on_payload(std::string_view json);

  std::string turn_;
  emit_fn emit_;
  framing framing_ = framing::unknown;
  line_splitter lines_;
  std::unique_ptr<agents::sse_parser> sse_;
  std::string sniffed_;  // the SSE bytes read while sniffing, replayed into the parser
  bool terminal_ = false;
  std::size_t payloads_ = 0;
  std::string problem_;
};

}  // namespace patchbay::agents
