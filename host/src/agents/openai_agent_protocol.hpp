// The `openai` agent's protocol logic, without I/O: its options, the per-thread conversation
// history (stored as JSON in the state store, bounded by turns and bytes), the
// /v1/chat/completions request body, the streamed chunks (`data:` JSON of
// chat.completion.chunk objects, then `data: [DONE]`), error envelopes
// ({"error": {"message", "type", "param", "code"}}), and the user-facing texts for each failure
// (classified; never raw JSON, never a key). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/agent_options.hpp"
#include "agents/stream_lines.hpp"

namespace patchbay::agents::openai {

struct options {
  std::string base_url;  // ".../v1" (a trailing "/" is dropped)
  std::string model;
  std::string system_prompt;
  std::string api_key;  // sent as "Authorization: Bearer ..."; never logged
  // auth: user_identity — the asking user's own access token (identity bindings) is the Bearer
  // credential instead of api_key; no fallback to api_key. auth: api_key is the default.
  bool user_identity = false;
  std::string ca_file;
  std::optional<double> temperature;
  std::int64_t max_tokens = 0;      // 0 = not sent
  std::int64_t history_turns = 20;  // exchanges kept per thread (0 = no history)
  std::int64_t history_bytes = 32'768;
  std::int64_t max_in_flight = 64;
  // images: true — the turn's image attachments go to the model as image_url content parts
  // (data: URLs), each read through the host's media service and at most max_image_bytes.
  bool images = false;
  std::int64_t max_image_bytes = 20 << 20;
  http_deadlines deadlines;
};

// Unknown keys and bad types are errors naming the option (never its value).
options parse_options(std::string_view options_json, std::string& error);

// One past exchange of a thread: what the user said and what the model answered.
struct exchange {
  std::string user;
  std::string assistant;
};
using history = std::vector<exchange>;

// Tolerant: a missing or unreadable value is an empty history.
history parse_history(std::string_view stored);
std::string serialize_history(const history& h);
// Drops the oldest exchanges until at most `max_turns` remain and their texts total at most
// `max_bytes` (an exchange larger than `max_bytes` on its own is dropped too).
void trim_history(history& h, std::size_t max_turns, std::size_t max_bytes);

// An image of the user's message, sent as an image_url part (a data: URL of its bytes).
struct image {
  std::string mime_type;
  std::string bytes;
};

// The JSON body: model, messages (system, history, user), stream, temperature, max_tokens. With
// `images` the user message's content is an array: the text part, then one image_url part each.
std::string request_body(const options& o, const history& h, std::string_view user_text,
                         bool stream = true, const std::vector<image>& images = {});

// An image attachment of a turn request (kind "image", or a MIME type image/*, with a media_id).
struct image_ref {
  std::string media_id, name, mime_type;
};
std::vector<image_ref> image_refs_of(std::string_view request_json);

// The user text of a turn request (its "text"), followed by one line per attachment naming the
// file ("[attachment: image \"cat.png\", image/png, 70000 bytes]"): the model cannot reach the
// host's media URLs, so it is told what was sent (docs/architecture.md §14).
std::string user_text_of(std::string_view request_json);

struct api_error {
  std::string message, type, code;
};
// {"error": {...}} or {"error": "text"}; nullopt when the body is no such envelope.
std::optional<api_error> parse_error(std::string_view body);

// One streamed event's data.
struct chunk {
  std::string delta;          // choices[0].delta.content
  std::string finish_reason;  // "" while streaming
  bool done_marker = false;   // "[DONE]"
  std::optional<api_error> error;
  bool unreadable = false;  // not JSON, or not an object
};
chunk parse_chunk(std::string_view data);

// A non-streamed chat.completion body (a server that ignored stream:true):
// choices[0].message.content.
std::optional<std::string> parse_completion(std::string_view body);

// User-facing texts.
std::string text_for_status(unsigned status, const std::optional<api_error>& e);
std::string text_for_transport(transport_failure f);
std::string text_for_stream_error(const api_error& e);
inline constexpr const char* text_cut_off = "The model's answer was cut off; please try again.";
inline constexpr const char* text_unreadable =
    "The model service sent an answer that could not be read; the operator has been notified.";

}  // namespace patchbay::agents::openai
