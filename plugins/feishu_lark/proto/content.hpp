// Feishu/Lark family: inbound message content to plain text (docs/protocols/feishu-lark.md
// §3.7, §4.1). Facts on the shapes, from node-sdk's channel normalizers:
//   text   {"text":"@_user_1 hello"} — mentions appear as placeholders `@_user_N` (and `@_all`)
//          whose names are in message.mentions[] (key, id.open_id, name).
//   post   {"title":"…","content":[[{"tag":"text","text":"…"},{"tag":"at","user_id":"…",
//          "user_name":"…"},{"tag":"a","text":"…","href":"…"},{"tag":"img",…},…],…]}, possibly
//          wrapped in a locale ({"zh_cn":{…}}: zh_cn, en_us, ja_jp, else the first object).
// Placeholders are resolved to "@Name"; the bot's own mention can be stripped (what a group
// message addressed to the bot usually starts with). Resolution scans the text once and matches
// the longest key, so `@_user_1` never eats into `@_user_10`.
// Pure functions; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace patchbay::plugins::feishu_family {

struct mention {
  std::string key;  // "@_user_1", "@_all"
  std::string open_id;
  std::string union_id;
  std::string user_id;
  std::string name;
  bool is_bot = false;  // open_id equals the bot's
};

struct resolve_options {
  bool strip_bot_mention = true;
};

// Replaces mention keys in `text` by "@Name" (the key itself when the name is empty), or removes
// the bot's (with one adjacent space); trims the result.
std::string resolve_mentions(std::string_view text, const std::vector<mention>& mentions,
                             const resolve_options& opt = {});

// The "text" of a text message's content ("" when unreadable), mentions NOT yet resolved.
std::string text_of_text_content(std::string_view content_json);
// A post flattened to text: the title on its own line, one line per paragraph; `at` elements
// resolved through `mentions` (by key or open_id; "all" → "@all"), links as "text (href)",
// images and media as "[image]" / "[media]". Mentions resolved, bot mention stripped per `opt`.
std::string text_of_post_content(std::string_view content_json,
                                 const std::vector<mention>& mentions,
                                 const resolve_options& opt = {});

// A post's body: the object itself when it has a "title" or "content", else its first locale
// (zh_cn, en_us, ja_jp, else the first member that is an object); nullptr when none.
const boost::json::object* post_body(const boost::json::object& post);

}  // namespace patchbay::plugins::feishu_family
