// A string-keyed map with a fixed capacity that forgets the least recently used entry first.
// Used by the plugins for inbound dedup (ids seen recently, with the time seen as the value when
// entries expire) and for small per-user caches (Weixin context tokens).
//
// Thread safety: none; owned by one strand.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace patchbay::plugins {

template <class V>
class bounded_lru {
 public:
  explicit bounded_lru(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // Inserts or replaces; the entry becomes the most recent. Evicts beyond capacity.
  void put(const std::string& key, V value) {
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(order_.front().first, order_.begin());
    while (index_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  // The value (and marks it recent), or nullptr.
  const V* get(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  void erase(const std::string& key) {
    if (auto it = index_.find(key); it != index_.end()) {
      auto node = it->second;
      index_.erase(it);  // first: the index's key views the node's string
      order_.erase(node);
    }
  }
  std::size_t size() const { return index_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  using entry = std::pair<std::string, V>;
  std::size_t capacity_;
  std::list<entry> order_;  // most recent first
  std::unordered_map<std::string_view, typename std::list<entry>::iterator> index_;
};

}  // namespace patchbay::plugins
