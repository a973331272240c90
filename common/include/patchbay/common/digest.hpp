// patchbay common: digests, HMAC, hex and constant-time comparison (OpenSSL's libcrypto behind
// the functions; no OpenSSL type in this header). Digests are returned as raw bytes unless the
// name says hex; hex is lowercase. Pure functions; thread-safe. Nothing here logs its input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace patchbay::common {

std::string sha256(std::string_view data);      // 32 raw bytes
std::string sha256_hex(std::string_view data);  // 64 hex chars
std::string md5(std::string_view data);         // 16 raw bytes (platform checksums, not security)
std::string md5_hex(std::string_view data);     // 32 hex chars
// HMAC-SHA256(key, data), 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

std::string hex(std::string_view bytes);
// Upper- or lower-case hex to bytes; nullopt on an odd length or a non-hex character.
std::optional<std::string> from_hex(std::string_view text);

// Constant-time equality for equal lengths; unequal lengths compare false at once (a length is
// not secret).
bool equal_ct(std::string_view a, std::string_view b);

}  // namespace patchbay::common
