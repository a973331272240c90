// Short-lived access tokens from the token exchange, per binding id, reused while well inside
// their lifetime: a token is served until `margin` before it expires, its lifetime taken as
// min(expires_in, 300 s) (NyxID's broker tokens live 300 s; a longer claim is not trusted), and
// a token with no stated lifetime is not cached. Bounded: past max_entries, expired entries and
// then the soonest-expiring go first. Time is the caller's (Unix ms), so tests need no waiting.
// The tokens are secrets: this class never logs.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace patchbay::identity {

class access_token_cache {
 public:
  static constexpr std::int64_t max_lifetime_s = 300;
  explicit access_token_cache(std::size_t max_entries = 4096, std::int64_t margin_s = 60)
      : max_entries_(max_entries), margin_s_(margin_s) {}

  std::optional<std::string> get(const std::string& binding_id, std::int64_t now_ms);
  void put(const std::string& binding_id, std::string token, std::int64_t expires_in_s,
           std::int64_t now_ms);
  void erase(const std::string& binding_id);
  std::size_t size() const;

 private:
  struct entry {
    std::string token;
    std::int64_t use_until_ms = 0;
  };
  const std::size_t max_entries_;
  const std::int64_t margin_s_;
  mutable std::mutex mu_;
  std::map<std::string, entry> entries_;
};

}  // namespace patchbay::identity
