// The in-memory copy of the outbound queue's live rows that every engine serves reads from
// (outbound_queue.hpp): ids assigned in memory from the largest one stored, so enqueue() returns at
// once; in_flight kept in memory only. Thread-safe. The engines (sqlite_outbound.cpp,
// pg_outbound.cpp) add the durable writes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "state/outbound_queue.hpp"

namespace patchbay::state {

class outbound_memory {
 public:
  // A row read at open: one that was in flight when the process died is pending again (it is
  // retried with the same idempotency key).
  void load(outbound_row r) {
    std::lock_guard lk(mu_);
    if (r.state != outbound_state::dead) r.state = outbound_state::pending;
    next_id_ = std::max(next_id_, r.id + 1);
    rows_[r.id] = std::move(r);
  }
  // Ids continue after `id` at least (an engine that knows of larger ids than the rows it loaded).
  void ids_after(int64_t id) {
    std::lock_guard lk(mu_);
    next_id_ = std::max(next_id_, id + 1);
  }
  // Assigns the id, sets pending and stamps created_unix_ms (if 0) with `now_ms`.
  void add(outbound_row& row, int64_t now_ms) {
    std::lock_guard lk(mu_);
    row.id = next_id_++;
    row.state = outbound_state::pending;
    if (row.created_unix_ms == 0) row.created_unix_ms = now_ms;
    rows_[row.id] = row;
  }
  // Copies the mutable fields; false when the row is gone.
  bool update(const outbound_row& row) {
    std::lock_guard lk(mu_);
    auto it = rows_.find(row.id);
    if (it == rows_.end()) return false;
    it->second.state = row.state;
    it->second.attempts = row.attempts;
    it->second.next_attempt_unix_ms = row.next_attempt_unix_ms;
    it->second.last_error = row.last_error;
    it->second.payload = row.payload;
    return true;
  }
  // Removes the row; returns its spool path ("" if none or gone).
  std::string remove(int64_t id) {
    std::lock_guard lk(mu_);
    std::string spool;
    auto it = rows_.find(id);
    if (it != rows_.end()) spool = std::move(it->second.spool_path);
    rows_.erase(id);
    return spool;
  }
  std::vector<outbound_row> rows() {
    std::lock_guard lk(mu_);
    std::vector<outbound_row> out;
    out.reserve(rows_.size());
    for (const auto& [id, r] : rows_) out.push_back(r);
    return out;
  }
  std::optional<outbound_row> row(int64_t id) {
    std::lock_guard lk(mu_);
    auto it = rows_.find(id);
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  std::size_t live_count(const std::string& instance) {
    std::lock_guard lk(mu_);
    std::size_t n = 0;
    for (const auto& [id, r] : rows_)
      if (r.instance == instance && r.state != outbound_state::dead) ++n;
    return n;
  }

 private:
  std::mutex mu_;
  std::map<int64_t, outbound_row> rows_;
  int64_t next_id_ = 1;
};

}  // namespace patchbay::state
