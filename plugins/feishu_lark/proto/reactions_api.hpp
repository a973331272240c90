// Feishu/Lark family: message reactions, the platform's stand-in for a typing indicator
// (docs/protocols/feishu-lark.md §3.10), as request builders and an answer parser.
//
//   add     POST   /open-apis/im/v1/messages/:message_id/reactions
//                  {"reaction_type":{"emoji_type":"Typing"}} → data.reaction_id
//   remove  DELETE /open-apis/im/v1/messages/:message_id/reactions/:reaction_id
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "feishu_lark/proto/open_api.hpp"

namespace patchbay::plugins::feishu_family {

inline constexpr std::string_view typing_emoji = "Typing";

api_request add_reaction_request(std::string_view message_id, std::string_view emoji_type);
api_request delete_reaction_request(std::string_view message_id, std::string_view reaction_id);

struct reaction_result {
  api_error error;
  std::string reaction_id;  // add: data.reaction_id
};
// `add`: a success without data.reaction_id is an error (it could never be removed).
reaction_result parse_reaction_response(bool add, int http_status, std::string_view body,
                                        std::string_view ratelimit_reset = {});

}  // namespace patchbay::plugins::feishu_family
