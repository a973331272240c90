#include "nyxid/proto/callback_timestamp.hpp"

#include <algorithm>

namespace patchbay::plugins::nyxid {
namespace {

// Reads exactly `n` decimal digits at `pos`.
std::optional<int64_t> digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t days_in_month(int64_t y, int64_t m) {
  static constexpr int64_t days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

}  // namespace

std::optional<int64_t> parse_rfc3339_ms(std::string_view s) {
  size_t p = 0;
  const auto y = digits(s, p, 4);
  if (!y || !expect(s, p, '-')) return std::nullopt;
  const auto mo = digits(s, p, 2);
  if (!mo || !expect(s, p, '-')) return std::nullopt;
  const auto d = digits(s, p, 2);
  if (!d || p >= s.size()) return std::nullopt;
  if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return std::nullopt;
  ++p;
  const auto h = digits(s, p, 2);
  if (!h || !expect(s, p, ':')) return std::nullopt;
  const auto mi = digits(s, p, 2);
  if (!mi || !expect(s, p, ':')) return std::nullopt;
  const auto se = digits(s, p, 2);
  if (!se) return std::nullopt;
  if (*y < 1970 || *mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo) || *h > 23 ||
      *mi > 59 || *se > 60)
    return std::nullopt;
  int64_t ms = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int64_t scale = 100;
    size_t n = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (scale > 0) ms += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
      if (++n > 18) return std::nullopt;
    }
    if (n == 0) return std::nullopt;
  }
  if (p >= s.size()) return std::nullopt;
  int64_t offset_min = 0;
  if (s[p] == 'Z' || s[p] == 'z') {
    ++p;
  } else if (s[p] == '+' || s[p] == '-') {
    const int64_t sign = s[p] == '+' ? 1 : -1;
    ++p;
    const auto oh = digits(s, p, 2);
    if (!oh || !expect(s, p, ':')) return std::nullopt;
    const auto om = digits(s, p, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_min = sign * (*oh * 60 + *om);
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  const int64_t secs = days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 +
                       std::min<int64_t>(*se, 59) - offset_min * 60;
  return secs * 1000 + ms;
}

const char* to_string(timestamp_check c) {
  switch (c) {
    case timestamp_check::ok:
      return "ok";
    case timestamp_check::missing:
      return "X-NyxID-Timestamp missing";
    case timestamp_check::malformed:
      return "X-NyxID-Timestamp malformed";
    case timestamp_check::too_old:
      return "X-NyxID-Timestamp too old";
    case timestamp_check::in_future:
      return "X-NyxID-Timestamp in the future";
  }
  return "unknown";
}

timestamp_check check_callback_timestamp(std::string_view header, int64_t now_ms,
                                         const timestamp_policy& policy) {
  if (header.empty()) return policy.require ? timestamp_check::missing : timestamp_check::ok;
  const auto t = parse_rfc3339_ms(header);
  if (!t) return timestamp_check::malformed;
  if (now_ms - *t > policy.max_age_ms) return timestamp_check::too_old;
  if (*t - now_ms > policy.max_skew_ms) return timestamp_check::in_future;
  return timestamp_check::ok;
}

}  // namespace patchbay::plugins::nyxid
