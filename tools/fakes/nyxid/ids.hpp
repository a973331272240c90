// patchbay-fake-nyxid: identifiers in the shapes NyxID and the platforms behind it use
// (docs/protocols/nyxid-relay.md §1.4, §2.2, §3), plus the small text helpers the fake's handlers
// share.
//
// id_source is seeded, so a test that fixes --seed gets the same ids and keys every run. Not
// thread-safe (owned by fake_nyxid).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "fake_http.hpp"

namespace patchbay::fakes::nyxid {

using common::iequals;  // tools/fakes/common

class id_source {
 public:
  explicit id_source(std::uint64_t seed) : rng_(seed) {}

  std::string uuid();                // UUIDv4, lower case
  std::string hex(std::size_t n);    // n lower-case hex chars
  std::string alnum(std::size_t n);  // n chars of [A-Za-z0-9]
  std::string api_key() { return "nyxid_ag_" + alnum(40); }
  std::string binding_id() { return "bnd_" + alnum(24); }
  // The platform's own message id for a message the fake "sent" on `platform`:
  // lark/feishu om_<32 hex>, telegram a decimal, discord a snowflake, slack a ts
  // "1700000000.000100".
  std::string platform_message_id(std::string_view platform);
  std::uint64_t next(std::uint64_t bound) { return rng_() % bound; }

 private:
  std::mt19937_64 rng_;
  std::uint64_t counter_ = 1000;
};

// RFC 3339 UTC with milliseconds, from Unix milliseconds.
std::string rfc3339(std::int64_t unix_ms);
std::string lower(std::string_view s);
// A value of an application/x-www-form-urlencoded string (also URL queries), decoded ('+' is a
// space); nullopt when absent.
std::optional<std::string> form_param(std::string_view form, std::string_view name);
// Percent-encodes for a query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);

}  // namespace patchbay::fakes::nyxid
