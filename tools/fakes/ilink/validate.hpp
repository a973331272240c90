// patchbay-fake-ilink: what a well-behaved iLink client sends (protocol note §1.3, §1.4). Each
// check returns "" when the request is fine, else a short description of the first problem, which
// the fake answers with HTTP 400 so a client bug is loud rather than silently tolerated.
//
// Pure functions; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "fake_http.hpp"
#include "patchbay/kit/http_types.hpp"

namespace patchbay::fakes::ilink {

// iLink-App-Id present (any value: "bot" for the official plugin, others seen in the wild) and
// iLink-App-ClientVersion present, empty or a decimal uint32. Sent on every request.
std::string check_common_headers(const kit::http_request& req);
// The POST headers: Content-Type application/json, AuthorizationType ilink_bot_token,
// X-WECHAT-UIN = base64 of a decimal uint32, plus the common ones.
std::string check_post_headers(const kit::http_request& req);
// The token of "Authorization: Bearer <token>" (trimmed); nullopt when absent or malformed.
std::optional<std::string> bearer_token(const kit::http_request& req);
// `body` must be a JSON object with base_info {channel_version: string, bot_agent?: string}.
// On success `out` holds the object.
std::string parse_body(std::string_view body, bool need_base_info, boost::json::object& out);

// ASCII case-insensitive equality (header names; shared with the other fakes).
using common::iequals;

// Field readers for request bodies: "" or the problem ("'<name>' must be a string").
std::string need_string(const boost::json::object& o, std::string_view name, std::string& out,
                        bool allow_empty = false);
std::string opt_string(const boost::json::object& o, std::string_view name, std::string& out);
std::string need_int(const boost::json::object& o, std::string_view name, std::int64_t& out);

}  // namespace patchbay::fakes::ilink
