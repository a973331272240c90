#include "feishu_lark/proto/fragments.hpp"

#include <limits>

namespace patchbay::plugins::feishu_family {

fragment_reassembler::fragment_reassembler(reassembly_limits limits) : limits_(limits) {}

void fragment_reassembler::drop(std::unordered_map<std::string, entry>::iterator it) {
  bytes_ -= it->second.bytes;
  entries_.erase(it);
}

bool fragment_reassembler::evict_oldest(const std::string& keep) {
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->first != keep && (oldest == entries_.end() || it->second.order < oldest->second.order))
      oldest = it;
  if (oldest == entries_.end()) return false;
  drop(oldest);
  ++stats_.evicted;
  return true;
}

size_t fragment_reassembler::expire(int64_t now_ms) {
  size_t n = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.deadline_ms <= now_ms) {
      bytes_ -= it->second.bytes;
      it = entries_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  stats_.expired += n;
  return n;
}

std::optional<int64_t> fragment_reassembler::next_deadline() const {
  std::optional<int64_t> d;
  for (const auto& [id, e] : entries_)
    if (!d || e.deadline_ms < *d) d = e.deadline_ms;
  return d;
}

void fragment_reassembler::clear() {
  entries_.clear();
  bytes_ = 0;
}

fragment_result fragment_reassembler::add(pbbp2::frame f, int64_t now_ms) {
  expire(now_ms);
  fragment_result r;
  auto reject = [&](std::string why) {
    ++stats_.rejected;
    r.status = fragment_status::rejected;
    r.reason = std::move(why);
    return std::move(r);
  };

  const auto sum = pbbp2::header_uint(f, pbbp2::header_key::sum);
  const auto seq = pbbp2::header_uint(f, pbbp2::header_key::seq);
  if (!sum || *sum == 0 || *sum > limits_.max_fragments)
    return reject("fragment with a missing or invalid sum");
  if (!seq || *seq >= *sum) return reject("fragment with a missing or invalid seq");
  const size_t size = f.payload ? f.payload->size() : 0;
  if (size > limits_.max_message_bytes) return reject("event larger than the reassembly limit");

  if (*sum == 1) {
    ++stats_.completed;
    if (!f.payload) f.payload.emplace();
    r.status = fragment_status::complete;
    r.frame = std::move(f);
    return r;
  }

  const std::string id(pbbp2::header_value(f, pbbp2::header_key::message_id));
  if (id.empty()) return reject("fragment without a message_id");

  auto it = entries_.find(id);
  if (it == entries_.end()) {
    while (entries_.size() >= limits_.max_pending && evict_oldest(id)) {
    }
    entry e;
    e.sum = *sum;
    e.deadline_ms = now_ms > std::numeric_limits<int64_t>::max() - limits_.timeout_ms
                        ? std::numeric_limits<int64_t>::max()
                        : now_ms + limits_.timeout_ms;
    e.order = next_order_++;
    e.slots.resize(*sum);
    it = entries_.emplace(id, std::move(e)).first;
  } else if (it->second.sum != *sum) {
    return reject("fragment whose sum differs from the first fragment's");
  }

  entry& e = it->second;
  auto& slot = e.slots[*seq];
  const size_t old = slot ? slot->size() : 0;
  if (e.bytes - old + size > limits_.max_message_bytes) {
    drop(it);
    return reject("event larger than the reassembly limit");
  }
  // Make room across events; the one being filled is kept.
  while (bytes_ - old + size > limits_.max_total_bytes && evict_oldest(id)) {
  }
  if (bytes_ - old + size > limits_.max_total_bytes) {
    drop(it);
    return reject("reassembly buffer full");
  }
  if (!slot) ++e.received;
  bytes_ = bytes_ - old + size;
  e.bytes = e.bytes - old + size;
  slot = f.payload ? std::move(*f.payload) : std::string();

  if (e.received < e.sum) {
    r.status = fragment_status::pending;
    return r;
  }
  std::string joined;
  joined.reserve(e.bytes);
  for (const auto& s : e.slots) joined += *s;
  drop(it);
  ++stats_.completed;
  f.payload = std::move(joined);
  r.status = fragment_status::complete;
  r.frame = std::move(f);
  return r;
}

}  // namespace patchbay::plugins::feishu_family
