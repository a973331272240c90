// Feishu/Lark family: CardKit streaming cards (docs/protocols/feishu-lark.md §3.8) as request
// builders and answer parsers.
//
//   create    POST  /open-apis/cardkit/v1/cards  {"type":"card_json","data":"<card JSON 2.0>"}
//                   → data.card_id
//   send      an `interactive` message (send or reply) with content
//             {"type":"card","data":{"card_id":"…"}} (a card entity is sent once)
//   stream    PUT   /open-apis/cardkit/v1/cards/:card_id/elements/:element_id/content
//                   {"content":"<the full text>","sequence":n,"uuid":"…"}
//   close     PATCH /open-apis/cardkit/v1/cards/:card_id/settings
//                   {"settings":"{\"config\":{\"streaming_mode\":false,\"summary\":…}}",
//                    "sequence":n,"uuid":"…"}
// `sequence` is strictly increasing per card over every update (content and settings); `uuid`
// makes one update idempotent. Limits: 10 updates/s per card, the app's 50/s and 1000/min.
// Streaming mode ends on its own 10 minutes after it was turned on.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "feishu_lark/proto/messages_api.hpp"
#include "feishu_lark/proto/open_api.hpp"

namespace patchbay::plugins::feishu_family {

namespace card_api {
inline constexpr std::string_view cards = "/open-apis/cardkit/v1/cards";
// The one markdown element a streaming answer card has.
inline constexpr std::string_view answer_element = "answer";
// How much of the answer the chat list's preview (the card's summary) shows.
inline constexpr std::size_t summary_codepoints = 50;
}  // namespace card_api

// A JSON 2.0 card in streaming mode with one markdown element `element_id` showing `text`.
std::string streaming_card_json(std::string_view text, std::string_view element_id);
api_request create_card_request(std::string_view card_json);
// The interactive message content showing a card entity.
outgoing card_entity_message(std::string_view card_id);
api_request card_content_request(std::string_view card_id, std::string_view element_id,
                                 std::string_view text, int64_t sequence, std::string_view uuid);
// streaming_mode off, with `summary` as the chat-list preview.
api_request close_card_request(std::string_view card_id, std::string_view summary, int64_t sequence,
                               std::string_view uuid);
// The first `summary_codepoints` code points of `text` on one line ("…" when cut).
std::string card_summary(std::string_view text);

struct card_create_result {
  api_error error;
  std::string card_id;
};
card_create_result parse_card_create_response(int http_status, std::string_view body,
                                              std::string_view ratelimit_reset = {});
// The envelope of a content or settings answer.
api_error parse_card_update_response(int http_status, std::string_view body,
                                     std::string_view ratelimit_reset = {});

}  // namespace patchbay::plugins::feishu_family
