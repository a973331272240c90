// ASCII case-insensitive comparison (HTTP auth schemes, route ids): bytes outside A-Z compare as
// they are, so UTF-8 text is compared byte for byte.
#pragma once

#include <cstddef>
#include <string_view>

namespace patchbay::common {

inline bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

}  // namespace patchbay::common
