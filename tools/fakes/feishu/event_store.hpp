// patchbay-fake-feishu: the events pushed over the long connection, with ack tracking and the
// re-push schedule of §2.8, driven by the caller's clock.
//
// Life of an event: add() → the caller delivers it (delivered(): one WS message id per delivery,
// the ack deadline starts) → ack() with code 200 settles it; a missing ack (deadline passed in
// tick()) or a non-200 ack is a failed push, and the event becomes due again `repush_ms[n]` after
// the failure, under the same event_id and IM message_id, at most repush_ms.size() times; then it
// is given up. An event added with `duplicate` is handed out once more after its successful ack.
// The ack deadline and the schedule are copied into each event when it is added, so config
// changes apply to new events only.
//
// Cost: one ordered-set entry per event waiting for something (no timer per event); the caller
// arms one timer at next_deadline(). Bounded: the oldest events are forgotten past max_events.
//
// Not thread-safe (owned by fake_feishu).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>

namespace patchbay::fakes::feishu {

enum class event_state { queued, awaiting_ack, waiting_repush, acked, given_up };
const char* to_string(event_state s);

struct delivery {
  std::int64_t time_ms = 0;
  std::uint64_t conn = 0;
  std::string ws_message_id;
};

struct event_record {
  std::uint64_t seq = 0;
  std::string app_id;
  std::string event_id;
  std::string message_id;  // the IM message (om_…), "" for other event types
  std::string chat_id;
  std::string payload;  // the event JSON as pushed
  std::size_t fragments = 1;
  bool duplicate = false;  // deliver once more after the successful ack
  std::int64_t ack_timeout_ms = 3000;
  std::shared_ptr<const std::vector<std::int64_t>> repush_ms;

  event_state state = event_state::queued;
  std::int64_t due_ms = 0;  // awaiting_ack: ack deadline; waiting_repush: next push
  std::size_t failures = 0;
  std::vector<delivery> deliveries;  // at most max_deliveries kept (the count keeps going)
  std::size_t delivery_count = 0;
  bool acked = false;           // a code-200 ack was ever received
  std::optional<int> ack_code;  // of the last ack
  std::optional<std::string> ack_biz_rt;
};

class event_store {
 public:
  static constexpr std::size_t max_deliveries = 32;  // > 1 + max repushes (16) + duplicate

  explicit event_store(std::size_t max_events = 20'000) : max_events_(max_events) {}

  // Stores the event (state queued: the caller delivers it now or queues it); returns its seq.
  std::uint64_t add(event_record e);
  event_record* find(std::uint64_t seq);

  // The event went out on `conn` as WS message `ws_message_id`; the ack deadline starts.
  void delivered(std::uint64_t seq, std::uint64_t conn, std::string ws_message_id,
                 std::int64_t now_ms);

  struct ack_result {
    bool known = false;                  // the WS message id belongs to a stored event
    std::optional<std::uint64_t> again;  // deliver this event again now (duplicate)
  };
  // An ack frame for WS message `ws_message_id` (code: the payload's; nullopt = unreadable).
  ack_result ack(std::string_view ws_message_id, std::optional<int> code, std::string biz_rt,
                 std::int64_t now_ms);

  // Settles every deadline <= now_ms: missed acks become failures; returns the events whose
  // re-push is due now, oldest deadline first.
  std::vector<std::uint64_t> tick(std::int64_t now_ms);
  std::optional<std::int64_t> next_deadline() const;

  boost::json::array to_json(std::string_view app_filter) const;
  void clear();
  std::size_t size() const { return events_.size(); }
  std::size_t waiting() const { return timeline_.size(); }

 private:
  void schedule(event_record& e, event_state s, std::int64_t due_ms);
  void unschedule(event_record& e);
  void fail(event_record& e, std::int64_t now_ms);
  void evict_oldest();

  std::size_t max_events_;
  std::uint64_t next_seq_ = 1;
  std::unordered_map<std::uint64_t, event_record> events_;
  std::deque<std::uint64_t> order_;
  std::unordered_map<std::string, std::uint64_t> by_ws_id_;
  std::set<std::pair<std::int64_t, std::uint64_t>> timeline_;  // (due_ms, seq)
};

}  // namespace patchbay::fakes::feishu
