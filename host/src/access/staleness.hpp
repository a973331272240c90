// Late messages: one that reaches the host more than `late.after` after the platform says it was
// sent (a re-push after an outage, a queue flushed after a reconnect) is not run as a fresh
// command. sent_at 0 = unknown: never late. A clock skew that puts sent_at in the future is not
// late either. Pure.
#pragma once

#include <cstdint>

#include "config/config.hpp"

namespace patchbay::access {

inline bool is_late(int64_t sent_at_unix_ms, int64_t now_unix_ms, const config::late_config& l) {
  if (sent_at_unix_ms <= 0 || l.after.count() <= 0) return false;
  return now_unix_ms - sent_at_unix_ms > l.after.count() * 1000;
}

}  // namespace patchbay::access
