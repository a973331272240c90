// Standard base64 (RFC 4648, with padding). No dependencies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace patchbay::core {
std::string base64_encode(std::string_view in);
std::optional<std::string> base64_decode(std::string_view in);  // nullopt on bad input
}  // namespace patchbay::core
