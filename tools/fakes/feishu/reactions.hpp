// patchbay-fake-feishu: message reactions (docs/protocols/feishu-lark.md §3.10), recorded so tests
// can tell whether a reaction was added and removed on a message. Bounded: the oldest records are
// forgotten past `max_records`. Not thread-safe (owned by fake_feishu).
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include <boost/json/array.hpp>

namespace patchbay::fakes::feishu {

struct reaction_record {
  std::string reaction_id;
  std::string message_id;
  std::string app_id;
  std::string emoji_type;
  std::int64_t added_ms = 0;
  std::int64_t removed_ms = 0;  // 0 = still there
};

class reaction_store {
 public:
  explicit reaction_store(std::size_t max_records = 20'000) : max_(max_records) {}
  const reaction_record& add(std::string message_id, std::string app_id, std::string emoji,
                             std::int64_t now_ms);
  // The reaction, present or removed; nullptr when unknown.
  reaction_record* find(std::string_view reaction_id);
  // {"reactions":[{"reaction_id","message_id","app_id","emoji_type","added_ms","removed_ms",
  // "present"}]} filtered by message ("" = all).
  boost::json::array to_json(std::string_view message_filter) const;
  void clear() { records_.clear(); }

 private:
  std::size_t max_;
  std::uint64_t next_ = 1;
  std::deque<reaction_record> records_;
};

}  // namespace patchbay::fakes::feishu
