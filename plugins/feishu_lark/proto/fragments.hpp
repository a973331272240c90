// Feishu/Lark family: reassembly of events the server splits over several data frames
// (docs/protocols/feishu-lark.md §2.6). All fragments of one event share the `message_id`
// header; `sum` is their count and `seq` the 0-based index. When every slot is filled the slices
// are joined in seq order.
//
// Validation (as node-sdk 1.74.0, stricter than go/py): sum and seq must be decimal integers with
// 1 <= sum <= max_fragments and seq < sum, and every fragment must repeat the first one's sum;
// otherwise the fragment is rejected (never acked, so the server redelivers). A repeated fragment
// replaces its slot. An incomplete event is dropped `timeout_ms` after its FIRST fragment (node:
// 10–20 s; go/py: 5 s after the last) and is never acked, so the platform re-pushes it.
// Bounded: at most max_pending incomplete events and max_total_bytes buffered (the oldest
// incomplete event is evicted to make room), and no event above max_message_bytes.
//
// The clock is the caller's (any monotonic milliseconds). Not thread-safe: owned by the
// connection's strand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "feishu_lark/proto/pbbp2.hpp"

namespace patchbay::plugins::feishu_family {

struct reassembly_limits {
  int64_t timeout_ms = 10'000;
  size_t max_pending = 64;
  size_t max_total_bytes = 16u << 20;
  size_t max_message_bytes = 8u << 20;
  uint32_t max_fragments = 1024;
};

enum class fragment_status {
  complete,  // `frame` is the fragment that completed the event, its payload the joined bytes
  pending,   // stored; more fragments needed
  rejected,  // invalid (reason set); nothing stored
};

struct fragment_result {
  fragment_status status = fragment_status::pending;
  pbbp2::frame frame;
  std::string reason;
};

struct reassembly_stats {
  uint64_t completed = 0;
  uint64_t rejected = 0;
  uint64_t expired = 0;  // dropped at their deadline
  uint64_t evicted = 0;  // dropped to respect max_pending / max_total_bytes
};

class fragment_reassembler {
 public:
  explicit fragment_reassembler(reassembly_limits limits = {});

  // Feeds one data frame (unsplit ones — sum 1 — complete at once). Expires overdue events first.
  fragment_result add(pbbp2::frame f, int64_t now_ms);
  // Drops incomplete events whose deadline is <= now_ms; returns how many.
  size_t expire(int64_t now_ms);
  // The earliest deadline of an incomplete event (to arm a timer), if any.
  std::optional<int64_t> next_deadline() const;
  void clear();

  size_t pending() const { return entries_.size(); }
  size_t pending_bytes() const { return bytes_; }
  const reassembly_stats& stats() const { return stats_; }

 private:
  struct entry {
    uint32_t sum = 0;
    uint32_t received = 0;
    size_t bytes = 0;
    int64_t deadline_ms = 0;
    uint64_t order = 0;  // insertion order, for evicting the oldest
    std::vector<std::optional<std::string>> slots;
  };

  void drop(std::unordered_map<std::string, entry>::iterator it);
  bool evict_oldest(const std::string& keep);

  reassembly_limits limits_;
  std::unordered_map<std::string, entry> entries_;
  size_t bytes_ = 0;
  uint64_t next_order_ = 0;
  reassembly_stats stats_;
};

}  // namespace patchbay::plugins::feishu_family
