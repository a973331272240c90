// NyxID protocol: base64url (RFC 4648 §5) as JOSE uses it — no padding, no whitespace.
//
// Decoding is strict so that one token has exactly one encoding: any character outside the
// URL-safe alphabet (including '=', '+', '/', spaces), a length of 4k+1, or non-zero bits left
// over in the last character is refused. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace patchbay::plugins::nyxid {

// Unpadded base64url of `bytes`.
std::string base64url_encode(std::string_view bytes);

// nullopt on any deviation from the canonical unpadded encoding, or when the decoded size would
// exceed `max_bytes`.
std::optional<std::string> base64url_decode(std::string_view text, size_t max_bytes = 1 << 20);

}  // namespace patchbay::plugins::nyxid
