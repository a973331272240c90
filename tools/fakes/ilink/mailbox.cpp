#include "mailbox.hpp"

#include <algorithm>

namespace patchbay::fakes::ilink {

std::uint64_t mailbox::append(stored_message m, std::size_t retain) {
  m.seq = next_seq_++;
  log_.push_back(std::move(m));
  while (log_.size() > std::max<std::size_t>(retain, 1)) log_.pop_front();
  return log_.back().seq;
}

std::vector<const stored_message*> mailbox::after(std::uint64_t after_seq, std::size_t max) const {
  std::vector<const stored_message*> out;
  // Seqs are contiguous in the log, so the first wanted entry is found by arithmetic.
  if (log_.empty() || after_seq >= log_.back().seq) return out;
  const std::uint64_t first = log_.front().seq;
  std::size_t i = after_seq < first ? 0 : static_cast<std::size_t>(after_seq + 1 - first);
  for (; i < log_.size() && out.size() < max; ++i) {
    const auto& m = log_[i];
    if (m.duplicate && !out.empty() && out.back()->seq + 1 == m.seq) break;
    out.push_back(&m);
  }
  return out;
}

std::uint64_t poll_waiters::add(std::string account_id, std::uint64_t after_seq,
                                std::uint64_t log_id) {
  const std::uint64_t ticket = next_ticket_++;
  by_account_[account_id].insert(ticket);
  by_ticket_.emplace(ticket, poll_waiter{ticket, std::move(account_id), after_seq, log_id});
  return ticket;
}

std::optional<poll_waiter> poll_waiters::take(std::uint64_t ticket) {
  const auto it = by_ticket_.find(ticket);
  if (it == by_ticket_.end()) return std::nullopt;
  poll_waiter w = std::move(it->second);
  by_ticket_.erase(it);
  const auto acc = by_account_.find(w.account_id);
  if (acc != by_account_.end()) {
    acc->second.erase(ticket);
    if (acc->second.empty()) by_account_.erase(acc);
  }
  return w;
}

std::vector<poll_waiter> poll_waiters::take_account(const std::string& account_id) {
  std::vector<poll_waiter> out;
  const auto acc = by_account_.find(account_id);
  if (acc == by_account_.end()) return out;
  const std::set<std::uint64_t> tickets = std::move(acc->second);
  by_account_.erase(acc);
  for (const auto t : tickets) {
    const auto it = by_ticket_.find(t);
    if (it == by_ticket_.end()) continue;
    out.push_back(std::move(it->second));
    by_ticket_.erase(it);
  }
  return out;
}

}  // namespace patchbay::fakes::ilink
