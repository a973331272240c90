// NyxID proxy: proactive sends that the platform just rejected structurally (cross tenant,
// cross app, scope forbidden: note §2.6), remembered per (base URL + slug, recipient), so that one
// send's failure notice does not go through the same slug to the same recipient again — two
// channels whose slugs are equal ignoring case are one route to NyxID (issue: "slugs equal
// ignoring case are tried once"). A remembered rejection answers at once, without a request,
// for `ttl`; a success through that route forgets it.
//
// Process-wide (every nyxid instance of this .so shares it: the slugs of different channels
// must meet), bounded (least recently used first), thread-safe.
#pragma once

#include <cctype>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "support/bounded_lru.hpp"

namespace patchbay::plugins::nyxid {

struct remembered_rejection {
  int32_t code = 0;
  std::string message;
  int64_t at_ms = 0;
};

class rejected_routes {
 public:
  static constexpr int64_t ttl_ms = 60'000;

  static rejected_routes& shared() {
    static rejected_routes r;
    return r;
  }

  static std::string key(std::string_view base_url, std::string_view slug,
                         std::string_view receive_id) {
    std::string k(base_url);
    k += '\x1f';
    for (char c : slug) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    k += '\x1f';
    k += receive_id;
    return k;
  }

  std::optional<remembered_rejection> find(const std::string& k, int64_t now_ms) {
    std::lock_guard lock(mu_);
    const remembered_rejection* r = lru_.get(k);
    if (r == nullptr) return std::nullopt;
    if (now_ms - r->at_ms > ttl_ms) {
      lru_.erase(k);
      return std::nullopt;
    }
    return *r;
  }
  void remember(const std::string& k, remembered_rejection r) {
    std::lock_guard lock(mu_);
    lru_.put(k, std::move(r));
  }
  void forget(const std::string& k) {
    std::lock_guard lock(mu_);
    lru_.erase(k);
  }

 private:
  std::mutex mu_;
  bounded_lru<remembered_rejection> lru_{1024};
};

}  // namespace patchbay::plugins::nyxid
