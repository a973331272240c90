// patchbay common: small, exception-free accessors over Boost.JSON for parsers of outside input
// (platform events, API answers, callbacks). Everything returns "absent" rather than throwing on a
// missing key or a wrong type, so hostile input never reaches an exception path. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace patchbay::common::json_util {

// Parses `text` (nesting limited to 32 levels, no comments, no trailing commas). On failure
// returns nullopt and, when `error` is set, a short reason (no input echoed).
std::optional<boost::json::value> parse(std::string_view text, std::string* error = nullptr);

// The object at `key`, or nullptr when absent or not an object.
const boost::json::object* object_at(const boost::json::object& o, std::string_view key);
// The string at `key`, or "" when absent or not a string.
std::string_view string_at(const boost::json::object& o, std::string_view key);
// An integer at `key`: a JSON integer, an integral double, or a decimal string ("1700000000" —
// the platform sends times as strings). nullopt when absent, fractional, out of range or not a
// number.
std::optional<int64_t> int_at(const boost::json::object& o, std::string_view key);
// The same for a value.
std::optional<int64_t> as_int(const boost::json::value& v);
// A strict unsigned decimal ("0".."18446744073709551615", no sign, no spaces).
std::optional<uint64_t> parse_decimal(std::string_view s);
// The same with an optional leading '-', within int64.
std::optional<int64_t> parse_signed(std::string_view s);

// A platform text (msg fields) made fit for a log line: at most `max` bytes, cut at a UTF-8
// boundary, control characters replaced by spaces.
std::string clip(std::string_view s, size_t max = 200);

}  // namespace patchbay::common::json_util
