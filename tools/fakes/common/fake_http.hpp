// Helpers shared by the fake platform servers (tools/fakes/*): query strings, header names, JSON
// bodies and answers, command-line numbers. No Asio; only the kit's plain HTTP types.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "patchbay/kit/http_types.hpp"

namespace patchbay::fakes::common {

// The value of `name` in an URL query string ("a=1&b=2", no '?'), percent-decoded ('+' stays
// '+'); nullopt if absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// ASCII case-insensitive equality (header names).
bool iequals(std::string_view a, std::string_view b);

// The token of "Authorization: Bearer <token>" (trimmed); nullopt when absent or malformed.
std::optional<std::string> bearer_token(const kit::http_request& req);

// `body` as a JSON object ("" counts as {}); "" or what is wrong.
std::string parse_object(std::string_view body, boost::json::object& out);

// An application/json answer.
kit::http_response json_response(unsigned status, const boost::json::object& body,
                                 kit::http_headers headers = {});
// The control APIs' error answer: {"error":"<what>"}.
kit::http_response json_error(unsigned status, std::string_view what);

// A command-line number: decimal digits only, at most `max`.
bool parse_number(std::string_view s, std::uint64_t max, std::uint64_t& out);

}  // namespace patchbay::fakes::common
