// Pairing: an unknown sender on a channel with `dm: pairing` gets a one-time code; the operator
// approves it (`patchbay pair approve CODE`, POST /v1/pairings/approve) and the sender is approved
// for that channel from then on, across restarts, until revoked.
//
// Codes: 8 characters from an unambiguous alphabet (no 0/O, 1/I/L), from OpenSSL's CSPRNG; bound
// to (channel, sender); expire after the channel's code_ttl; one pending code per sender (the
// same code is sent again while valid, at most once per `resend_interval`); at most max_pending
// codes per channel.
//
// Storage: the state store's key-value API through `kv_port` (instance "access:<channel>", keys
// "approved" and "pending", JSON), written on every change; read once per channel by load() (at
// start-up or a reload, not on the turn strand). Every other read is from memory.
//
// Thread safety: every method may be called from any thread (one mutex; no I/O under it except
// the store's queued writes).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace patchbay::access {

// The store's key-value API, as the pairing book needs it (state::store in the host).
struct kv_port {
  std::function<std::optional<std::string>(const std::string& instance, const std::string& key)>
      get;
  std::function<void(const std::string& instance, const std::string& key, std::string value)> set;
};

struct pairing_code {
  std::string code, channel, sender;
  int64_t issued_unix_s = 0, expires_unix_s = 0, last_sent_unix_s = 0;
};
struct approved_sender {
  std::string channel, sender;
  int64_t approved_unix_s = 0;
};

enum class issue_outcome {
  fresh,       // a new code: send it
  resend,      // the sender's pending code again: send it
  suppressed,  // the pending code was sent less than resend_interval ago: say nothing
  full,        // max_pending codes are waiting on this channel: say nothing
};

class pairing_book {
 public:
  using clock_fn = std::function<int64_t()>;  // unix seconds
  using code_fn = std::function<std::string()>;
  static constexpr int64_t resend_interval_s = 60;

  // `now` defaults to the system clock, `codes` to random_code().
  explicit pairing_book(kv_port kv, clock_fn now = {}, code_fn codes = {});

  // Reads `channel`'s approvals and pending codes from the store (blocking read); a channel
  // already in memory is kept as it is.
  void load(const std::string& channel);
  bool is_approved(const std::string& channel, const std::string& sender) const;
  // The code to send to `sender`, if any (see issue_outcome).
  std::pair<issue_outcome, std::string> issue(const std::string& channel, const std::string& sender,
                                              const config::pairing_config& cfg);
  // Approves the pending, unexpired code (case-insensitive); nullopt when there is none.
  std::optional<approved_sender> approve(const std::string& code);
  // Removes `sender`'s approval (and pending code) on `channel`; false when there was neither.
  bool revoke(const std::string& channel, const std::string& sender);

  struct listing {
    std::vector<pairing_code> pending;  // unexpired
    std::vector<approved_sender> approved;
  };
  listing list() const;

  // 8 characters of `alphabet` from OpenSSL's CSPRNG (throws std::runtime_error without one).
  static std::string random_code();
  static constexpr const char* alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";  // no 0 O 1 I L

 private:
  struct channel_book {
    std::map<std::string, pairing_code> pending;      // by sender
    std::map<std::string, approved_sender> approved;  // by sender
  };
  void purge(channel_book& b, int64_t now) const;
  void save(const std::string& channel, const channel_book& b) const;

  kv_port kv_;
  clock_fn now_;
  code_fn codes_;
  mutable std::mutex mu_;
  std::map<std::string, channel_book> books_;
};

}  // namespace patchbay::access
