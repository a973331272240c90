// thread_response: what an agent sends back for a turn (docs/architecture.md §4), one JSON object
// per payload:
//   {"turn": "<turn id>", "delta": "text"}                 text appended to the streamed answer
//   {"turn": "...", "content": "text", "ephemeral": false} a complete message of its own
//   {"turn": "...", "error": "user-facing text"}           the turn failed (terminal)
//   {"turn": "...", "done": true}                          the turn finished normally (terminal)
//   {"turn": "...", "attachment": {"kind": "image", "name": "a.png", "mime_type": "image/png",
//                                  "url" | "path" | "data_base64": "...", "caption": "..."}}
//                                                           one file sent as a message of its own
// `delta`, `content` and `attachment` may accompany `done` (rendered first, in that order). `error`
// and `done` exclude each other. Unknown keys are ignored (newer agents may send more). Pure
// functions; thread-safe.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "messages/messages.hpp"

namespace patchbay::turns {

inline constexpr std::size_t max_payload_bytes = 1 << 20;

// A file the agent sends (docs/architecture.md §4): messages::attachment_spec.
using messages::attachment_spec;

struct thread_response {
  std::string turn;
  std::optional<std::string> delta;
  std::optional<std::string> content;
  bool ephemeral = false;
  std::optional<std::string> error;
  bool done = false;
  std::optional<attachment_spec> attachment;
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

// The `attachment` object alone (also POST /v1/messages `attachments[i]`): `where` names it in
// errors ("`attachment`", "attachments[2]"). Pure.
bool parse_attachment_spec(const boost::json::value& v, attachment_spec& out, std::string& error,
                           const std::string& where);
boost::json::object attachment_to_json(const attachment_spec& a);

}  // namespace patchbay::turns
