// The body a `callback` agent posts to POST /v1/turns/<turn>/responses (docs/architecture.md §9):
// one thread_response JSON object, a JSON array of them, or NDJSON lines (one object per line,
// blank lines skipped). Every payload is checked like the router checks an agent's (§4); a
// payload's `turn`, when present, must be the path's turn, and is filled in when absent. Nothing
// may follow a terminal payload (done or error). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace patchbay::agents {

struct callback_body {
  std::vector<std::string> payloads;  // thread_response JSON objects with `turn` set, in order
  bool terminal = false;              // the last payload ends the turn
  std::string error;                  // "" when the body is valid; no payload text in it
};

callback_body read_callback_body(const std::string& turn_id, std::string_view body);

}  // namespace patchbay::agents
