// patchbay-fake-feishu: the messages the bot sent (send, reply) and the inbound ones it can reply
// to, with the rules of §3.3–3.6 that are state: the edit cap (the 21st edit → 230072 by default),
// who may edit (only the bot's own messages: 230071), card patches only on `interactive`
// messages, and `uuid` idempotency (the same uuid within an hour returns the first message and
// posts nothing).
//
// Bounded: the oldest messages are forgotten past max_messages; uuid entries expire after 1 h.
// Times are the caller's clock (ms). Not thread-safe (owned by fake_feishu).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace patchbay::fakes::feishu {

struct stored_message {
  std::string message_id;
  std::string app_id;
  std::string chat_id;
  std::string msg_type;
  std::string content;   // the JSON string as sent (after the last edit/patch)
  std::string text;      // plain text of the content (text: "text"; post: joined texts)
  std::string reply_to;  // parent message id for replies
  std::string root_id;
  std::string uuid;
  std::string card_id;   // an interactive message showing a card entity (§3.8)
  bool from_bot = true;  // false: an injected inbound message (reply target only)
  std::int64_t create_ms = 0;
  std::int64_t update_ms = 0;
  // The machine's real wall clock when it was stored, in microseconds (not the fake's clock):
  // benchmarks subtract their own wall clock before injecting.
  std::int64_t stored_wall_us = 0;
  int edits = 0;                     // PUT edits
  int patches = 0;                   // PATCH card updates
  std::vector<std::string> history;  // text after each edit/patch
};

// Plain text of a message content JSON string ("" when not readable).
std::string text_of_content(std::string_view msg_type, std::string_view content_json);

class message_store {
 public:
  static constexpr std::int64_t uuid_window_ms = 3'600'000;

  explicit message_store(std::size_t max_messages = 50'000) : max_(max_messages) {}

  stored_message& add(stored_message m);
  stored_message* find(std::string_view message_id);
  // The message an earlier request with this uuid created (same app), within the hour.
  stored_message* by_uuid(std::string_view app_id, std::string_view uuid, std::int64_t now_ms);

  boost::json::array to_json(std::string_view chat_filter) const;
  void clear();

 private:
  void prune_uuids(std::int64_t now_ms);

  std::size_t max_;
  std::unordered_map<std::string, stored_message> messages_;
  std::deque<std::string> order_;
  struct uuid_entry {
    std::string message_id;
    std::int64_t time_ms = 0;
  };
  std::unordered_map<std::string, uuid_entry> uuids_;  // app_id "\n" uuid
  std::deque<std::pair<std::int64_t, std::string>> uuid_order_;
};

}  // namespace patchbay::fakes::feishu
