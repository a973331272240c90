#include "media/media_ids.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "patchbay/common/digest.hpp"

namespace patchbay::media {

std::string random_secret() {
  unsigned char buf[32];
  if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("no random bytes from OpenSSL");
  return common::hex(std::string_view(reinterpret_cast<const char*>(buf), sizeof buf));
}

id_book::id_book(std::string secret, std::size_t max_entries)
    : secret_(std::move(secret)), max_entries_(max_entries == 0 ? 1 : max_entries) {}

std::string id_book::mint(const std::string& turn_id, std::size_t index, source src,
                          int64_t expires_unix_ms, int64_t now_unix_ms) {
  const std::string mac = common::hmac_sha256(secret_, turn_id + "\x1f" + std::to_string(index) +
                                                           "\x1f"
                                                           "media");
  std::string id = common::hex(std::string_view(mac).substr(0, 16));
  std::lock_guard lk(mu_);
  prune(now_unix_ms);
  auto it = by_id_.find(id);
  if (it != by_id_.end()) {
    if (it->second.expires_unix_ms >= expires_unix_ms) return id;
    auto range = by_expiry_.equal_range(it->second.expires_unix_ms);
    for (auto e = range.first; e != range.second; ++e)
      if (e->second == id) {
        by_expiry_.erase(e);
        break;
      }
    by_id_.erase(it);
  }
  while (by_id_.size() >= max_entries_ && !by_expiry_.empty()) {
    by_id_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  by_id_.emplace(id, media_entry{id, std::move(src), expires_unix_ms});
  by_expiry_.emplace(expires_unix_ms, id);
  return id;
}

std::optional<media_entry> id_book::find(const std::string& id, int64_t now_unix_ms) {
  std::lock_guard lk(mu_);
  prune(now_unix_ms);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::size_t id_book::size() const {
  std::lock_guard lk(mu_);
  return by_id_.size();
}

void id_book::prune(int64_t now_unix_ms) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_unix_ms) {
    by_id_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

}  // namespace patchbay::media
