// Media ids: what GET /v1/media/<id> resolves (docs/architecture.md "Media"). An id is 128 bits of
// HMAC-SHA256 under the host's media secret over (turn id, attachment index): unguessable without
// the secret, and the same for the same turn after a restart, so a turn that is run again after a
// restart hands its agent the same URLs. Each id expires at a time its minter chose (the turn's
// start + host.media.url_ttl_s).
//
// Thread safety: all methods are safe from any thread (one short lock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "messages/messages.hpp"

namespace patchbay::media {

// Where an attachment's bytes come from: what the plugin's fetch_attachment needs.
struct source {
  std::string channel_id, conversation_id, message_id, reply_context;
  messages::attachment attachment;
};

struct media_entry {
  std::string id;
  source src;
  int64_t expires_unix_ms = 0;
};

// 32 random bytes from OpenSSL's CSPRNG, hex (64 characters). Throws std::runtime_error.
std::string random_secret();

class id_book {
 public:
  // `max_entries` bounds memory: beyond it the entries expiring first are dropped.
  explicit id_book(std::string secret, std::size_t max_entries = 100'000);

  // The id of attachment `index` of turn `turn_id` (32 hex characters), registered until
  // `expires_unix_ms` (a later mint of the same id keeps the later expiry).
  std::string mint(const std::string& turn_id, std::size_t index, source src,
                   int64_t expires_unix_ms, int64_t now_unix_ms);
  // The entry of `id`, or nullopt when unknown or expired (an expired entry is forgotten).
  std::optional<media_entry> find(const std::string& id, int64_t now_unix_ms);
  std::size_t size() const;

 private:
  void prune(int64_t now_unix_ms);  // under mu_

  const std::string secret_;
  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, media_entry> by_id_;
  std::multimap<int64_t, std::string> by_expiry_;
};

}  // namespace patchbay::media
