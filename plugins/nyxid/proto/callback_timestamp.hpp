// NyxID protocol: the X-NyxID-Timestamp header of a callback (docs/protocols/nyxid-relay.md §1.2:
// RFC 3339, "the docs advise rejecting anything older than 5 min"), and RFC 3339 parsing for the
// body's `timestamp`. Checked by the plugin next to verify_callback(): a stale or future-dated
// delivery is refused (401) like any other failed check.
//
//   missing    header absent (refused only when `require` is set; NyxID always sends it)
//   malformed  not RFC 3339 (YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM); 't'/'z'/' ' accepted)
//   too_old    more than `max_age_ms` before now
//   in_future  more than `max_skew_ms` after now (clock skew allowance, as the JWT's 60 s)
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace patchbay::plugins::nyxid {

// Unix milliseconds of an RFC 3339 date-time, or nullopt when it is not one (years 1970–9999).
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

struct timestamp_policy {
  bool require = true;
  int64_t max_age_ms = 300'000;
  int64_t max_skew_ms = 60'000;
};

enum class timestamp_check { ok, missing, malformed, too_old, in_future };
const char* to_string(timestamp_check c);

timestamp_check check_callback_timestamp(std::string_view header, int64_t now_ms,
                                         const timestamp_policy& policy = {});

}  // namespace patchbay::plugins::nyxid
