// patchbay common: percent-encoding of a query or form value (RFC 3986: everything but the
// unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX, upper-case hex). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace patchbay::common {

std::string url_encode(std::string_view s);

}  // namespace patchbay::common
