// thread_response: what an agent sends back for a turn (docs/architecture.md §4), one JSON object
// per payload:
//   {"turn": "<turn id>", "delta": "text"}                 text appended to the streamed answer
//   {"turn": "...", "content": "text", "ephemeral": false} a complete message of its own
//   {"turn": "...", "error": "user-facing text"}           the turn failed (terminal)
//   {"turn": "...", "done": true}                          the turn finished normally (terminal)
// `delta` and `content` may accompany `done` (rendered first). `error` and `done` exclude each
// other. Unknown keys are ignored (newer agents may send more). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace patchbay::turns {

inline constexpr std::size_t max_payload_bytes = 1 << 20;

struct thread_response {
  std::string turn;
  std::optional<std::string> delta;
  std::optional<std::string> content;
  bool ephemeral = false;
  std::optional<std::string> error;
  bool done = false;
  std::string message;  // optional id of the agent's message, for logs

  bool terminal() const { return done || error.has_value(); }
};

struct parse_result {
  std::optional<thread_response> value;
  std::string error;  // why it was rejected (no payload text in it beyond field names)
};

parse_result parse_thread_response(std::string_view json);

// The JSON form (for agents written in C++, tests and the SSE renderer).
std::string to_json(const thread_response& r);

}  // namespace patchbay::turns
