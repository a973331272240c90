// patchbay common: base64 (RFC 4648). Two alphabets, one codec:
//   base64     §4, standard alphabet with '=' padding, no line breaks (webhook ciphertexts, acks,
//              stored reply contexts, media keys);
//   base64url  §5, URL-safe alphabet without padding, as JOSE uses it (JWTs, PKCE).
// Decoding is strict: any character outside the alphabet, whitespace, misplaced padding or a
// length no encoder produces is refused. base64url decoding also refuses non-zero leftover bits,
// so one value has exactly one encoding. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace patchbay::common {

std::string base64_encode(std::string_view bytes);
// nullopt on a bad character, bad padding or a length not a multiple of 4.
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);
// nullopt on any deviation from the canonical unpadded encoding, or when the decoded size would
// exceed `max_bytes`.
std::optional<std::string> base64url_decode(std::string_view text, std::size_t max_bytes = 1 << 20);

}  // namespace patchbay::common
