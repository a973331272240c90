#include "ids.hpp"

#include "patchbay/common/base64.hpp"

#include <charconv>

namespace patchbay::fakes::ilink {

namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::string_view alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint64_t two_pow_53 = 1ULL << 53;

template <class T>
bool parse_decimal(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

id_source::id_source(std::uint64_t seed) : rng_(seed) {
  // Start somewhere in [2^53, 2^53 + 2^40), odd, and step by 2: every id stays odd and below 2^54,
  // where doubles can only hold even numbers.
  next_message_id_ = (two_pow_53 + (rng_() % (1ULL << 40))) | 1ULL;
}

std::string id_source::chars(std::size_t n, std::string_view alphabet) {
  std::string out(n, ' ');
  for (auto& c : out) c = alphabet[rng_() % alphabet.size()];
  return out;
}

std::string id_source::hex(std::size_t n) { return chars(n, hex_digits); }
std::string id_source::account_id() { return hex(12) + "@im.bot"; }
std::string id_source::bot_token() { return chars(64, alnum); }
std::string id_source::user_id() { return "o9cq80" + chars(22, alnum) + "@im.wechat"; }
std::string id_source::context_token() { return "AARzJW" + chars(130, b64); }
std::string id_source::typing_ticket() { return patchbay::common::base64_encode(chars(24, alnum)); }
std::string id_source::qrcode() { return hex(32); }

std::uint64_t id_source::message_id() {
  const std::uint64_t id = next_message_id_;
  next_message_id_ += 2;
  return id;
}

std::string encode_cursor(std::uint32_t account_index, std::uint64_t seq, std::uint64_t counter) {
  return patchbay::common::base64_encode("fake-ilink:v1:" + std::to_string(account_index) + ":" +
                                         std::to_string(seq) + ":" + std::to_string(counter));
}

std::optional<cursor> decode_cursor(std::string_view buf) {
  const auto text = patchbay::common::base64_decode(buf);
  constexpr std::string_view prefix = "fake-ilink:v1:";
  if (!text || text->rfind(prefix, 0) != 0) return std::nullopt;
  const std::string_view rest = std::string_view(*text).substr(prefix.size());
  const auto c1 = rest.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  const auto c2 = rest.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  cursor c;
  std::uint64_t counter = 0;
  if (!parse_decimal(rest.substr(0, c1), c.account_index) ||
      !parse_decimal(rest.substr(c1 + 1, c2 - c1 - 1), c.seq) ||
      !parse_decimal(rest.substr(c2 + 1), counter)) {
    return std::nullopt;
  }
  return c;
}

bool valid_wechat_uin(std::string_view header_value) {
  const auto text = patchbay::common::base64_decode(header_value);
  std::uint32_t n = 0;
  return text && text->size() <= 10 && parse_decimal(std::string_view(*text), n) &&
         (text->size() == 1 || (*text)[0] != '0');
}

}  // namespace patchbay::fakes::ilink
