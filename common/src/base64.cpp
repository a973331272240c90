#include "patchbay/common/base64.hpp"

#include <array>
#include <cstdint>

namespace patchbay::common {
namespace {

struct alphabet {
  std::string_view chars;
  std::array<int8_t, 256> values{};

  explicit constexpr alphabet(std::string_view c) : chars(c) {
    for (auto& v : values) v = -1;
    for (std::size_t i = 0; i < chars.size(); ++i)
      values[static_cast<unsigned char>(chars[i])] = static_cast<int8_t>(i);
  }
};

constexpr alphabet standard{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"};
constexpr alphabet url_safe{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"};

std::string encode(std::string_view bytes, const alphabet& a, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  auto at = [&](std::size_t k) { return uint32_t(static_cast<unsigned char>(bytes[k])); };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += a.chars[(n >> shift) & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  const uint32_t n = (at(i) << 16) | (rest == 2 ? at(i + 1) << 8 : 0);
  out += a.chars[(n >> 18) & 63];
  out += a.chars[(n >> 12) & 63];
  if (rest == 2) out += a.chars[(n >> 6) & 63];
  if (pad) out.append(3 - rest, '=');
  return out;
}

// Decodes the 6-bit groups of `text` (no padding in it). `canonical`: the bits left over after
// the last full byte must be zero.
std::optional<std::string> decode_groups(std::string_view text, const alphabet& a, bool canonical) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int8_t v = a.values[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
      acc &= (1u << bits) - 1;
    }
  }
  if (canonical && acc != 0) return std::nullopt;
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, standard, true); }

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  // '=' anywhere else is outside the alphabet and refused below.
  return decode_groups(text.substr(0, text.size() - pad), standard, false);
}

std::string base64url_encode(std::string_view bytes) { return encode(bytes, url_safe, false); }

std::optional<std::string> base64url_decode(std::string_view text, std::size_t max_bytes) {
  if (text.size() % 4 == 1) return std::nullopt;
  const std::size_t out_size =
      text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1);
  if (out_size > max_bytes) return std::nullopt;
  return decode_groups(text, url_safe, true);
}

}  // namespace patchbay::common
