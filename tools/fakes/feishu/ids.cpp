#include "ids.hpp"

namespace patchbay::fakes::feishu {

namespace {
constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::string_view alnum_chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
}  // namespace

std::string id_source::hex(std::size_t n) {
  std::string out(n, ' ');
  for (auto& c : out) c = hex_digits[rng_() % hex_digits.size()];
  return out;
}

std::string id_source::alnum(std::size_t n) {
  std::string out(n, ' ');
  for (auto& c : out) c = alnum_chars[rng_() % alnum_chars.size()];
  return out;
}

}  // namespace patchbay::fakes::feishu
