// patchbay-fake-ilink: one account's inbound message log and the parked long polls.
//
// Cursor semantics (protocol note §2): every message gets a per-account sequence number; a
// getupdates answer carries the messages after the client's cursor and a cursor past the last one
// it returned. A client that sends an older cursor gets those messages again (at-least-once), so
// an answer lost on the wire loses nothing. A "duplicate" entry (fault duplicate_delivery) repeats
// the message before it and is never returned in the same answer as its original, so the client
// sees the same message_id in two polls.
//
// Not thread-safe (owned by fake_ilink).
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace patchbay::fakes::ilink {

struct stored_message {
  std::uint64_t seq = 0;
  std::uint64_t message_id = 0;
  bool duplicate = false;    // a replay of the entry just before it
  boost::json::object body;  // the WeixinMessage without seq/message_id (added on delivery)
};

class mailbox {
 public:
  // Appends (assigning the next seq) and forgets the oldest entries beyond `retain`.
  std::uint64_t append(stored_message m, std::size_t retain);
  // Entries with seq > after_seq, oldest first, at most `max`; stops before a duplicate whose
  // original is in the same batch.
  std::vector<const stored_message*> after(std::uint64_t after_seq, std::size_t max) const;
  std::uint64_t last_seq() const { return next_seq_ - 1; }
  void clear() { log_.clear(); }  // seqs keep counting, so old cursors stay meaningful
  std::size_t size() const { return log_.size(); }

 private:
  std::deque<stored_message> log_;
  std::uint64_t next_seq_ = 1;
};

// Long polls waiting for news, by ticket. A ticket is answered exactly once: whoever takes it
// (a new message, a session fault, or the hold timer) answers it.
struct poll_waiter {
  std::uint64_t ticket = 0;
  std::string account_id;
  std::uint64_t after_seq = 0;
  std::uint64_t log_id = 0;  // the request_log entry to complete
};

class poll_waiters {
 public:
  std::uint64_t add(std::string account_id, std::uint64_t after_seq, std::uint64_t log_id);
  std::optional<poll_waiter> take(std::uint64_t ticket);
  std::vector<poll_waiter> take_account(const std::string& account_id);
  std::size_t size() const { return by_ticket_.size(); }

 private:
  std::uint64_t next_ticket_ = 1;
  std::map<std::uint64_t, poll_waiter> by_ticket_;
  std::unordered_map<std::string, std::set<std::uint64_t>> by_account_;
};

}  // namespace patchbay::fakes::ilink
