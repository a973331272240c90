// The texts the gate answers with (documented in docs/architecture.md "Access control"). They say
// nothing about the bot's owner or its configuration.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

namespace patchbay::access {

inline std::string pairing_notice(const std::string& code, std::chrono::seconds ttl) {
  const auto minutes = std::max<long long>(1, ttl.count() / 60);
  return "Access to this bot must be approved by its operator. Your pairing code is " + code +
         " (valid for " + std::to_string(minutes) + " minutes).";
}

inline const char* rate_notice() {
  return "Too many messages: this one was not processed. Please wait a minute and send it again.";
}

inline const char* late_notice() {
  return "This message arrived late, so it was not processed. Please send it again if it still "
         "matters.";
}

}  // namespace patchbay::access
