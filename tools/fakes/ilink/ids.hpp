// patchbay-fake-ilink: identifiers in the shapes the real service uses (protocol note §1.6), and
// the opaque get_updates_buf cursor.
//
// id_source is seeded, so a test that fixes the seed gets the same ids every run. Not thread-safe
// (owned by fake_ilink).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "fake_http.hpp"

namespace patchbay::fakes::ilink {

class id_source {
 public:
  explicit id_source(std::uint64_t seed);

  std::string account_id();     // 12 lower-case hex + "@im.bot"
  std::string bot_token();      // opaque, 64 chars
  std::string user_id();        // "o9cq80" + 22 mixed-case chars + "@im.wechat"
  std::string context_token();  // base64-ish, 136 chars, starting "AARzJW" like logged tokens
  std::string typing_ticket();  // base64 of 24 random bytes
  std::string qrcode();         // 32 hex
  std::string hex(std::size_t n);
  // Server message ids: odd numbers above 2^53, so any double-based parser corrupts them.
  std::uint64_t message_id();

 private:
  std::string chars(std::size_t n, std::string_view alphabet);
  std::mt19937_64 rng_;
  std::uint64_t next_message_id_;
};

// get_updates_buf: base64 of "fake-ilink:v1:<account index>:<seq>:<answer counter>". The counter
// makes every answer's cursor a fresh string, as an opaque server cursor would be.
std::string encode_cursor(std::uint32_t account_index, std::uint64_t seq, std::uint64_t counter);
struct cursor {
  std::uint32_t account_index = 0;
  std::uint64_t seq = 0;
};
std::optional<cursor> decode_cursor(std::string_view buf);

// X-WECHAT-UIN: base64 of the decimal text of a uint32.
bool valid_wechat_uin(std::string_view header_value);

// The value of `name` in an URL query string (shared with the other fakes).
using common::query_param;

}  // namespace patchbay::fakes::ilink
