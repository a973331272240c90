// patchbay common: percent-encoding of a query or form value (RFC 3986: everything but the
// unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX, upper-case hex), and its inverse for a
// path segment. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace patchbay::common {

std::string url_encode(std::string_view s);
// %XX (either case) decoded; nullopt for a '%' not followed by two hex digits. '+' stays '+'.
std::optional<std::string> url_decode(std::string_view s);

}  // namespace patchbay::common
