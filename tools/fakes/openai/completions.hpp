// patchbay-fake-openai: the OpenAI wire format, without I/O. What the fake answers is a
// deterministic function of the request: "echo: <the last user message>", split into a few
// pieces, as chat.completion.chunk events (stream:true) or one chat.completion object.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace fake_openai {

// A parsed chat request, or why it is invalid (the OpenAI 400 envelope's message and param).
struct chat_request {
  std::string model;
  bool stream = false;
  std::string last_user_text;
  std::size_t message_count = 0;
  std::string error, error_param;
};
chat_request parse_chat_request(std::string_view body);

std::string reply_text(const chat_request& r);
// Splits `text` into at most `pieces` parts on UTF-8 boundaries (none empty).
std::vector<std::string> split_pieces(std::string_view text, int pieces);

// One `data:` event (with its blank line) carrying a chat.completion.chunk. `role_chunk` is the
// first chunk ({"role":"assistant","content":""}); `finish` the last ({} with finish_reason).
struct chunk_ids {
  std::string id;  // "chatcmpl-..."
  std::int64_t created = 0;
  std::string model;
};
std::string role_event(const chunk_ids& ids);
std::string content_event(const chunk_ids& ids, std::string_view text);
std::string finish_event(const chunk_ids& ids, std::string_view reason = "stop");
std::string done_event();  // "data: [DONE]\n\n"
// An error object inside the stream: data: {"error": {...}}
std::string error_event(std::string_view message, std::string_view type, std::string_view code);

// stream:false: a chat.completion object.
std::string completion_body(const chunk_ids& ids, std::string_view text, std::size_t prompt_words);

// The OpenAI error envelope {"error":{"message","type","param","code"}} (param/code null when "").
std::string error_body(std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code);

}  // namespace fake_openai
