// URL parsing shared by the kit's clients (private header: kit/src only).
//
// http_fetch takes http:// and https:// URLs, ws_connect ws:// and wss:// ones; both want the same
// pieces (host, port, request target, Host header, IP literal or name) and the same refusals.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace patchbay::kit::detail {

struct parsed_url {
  bool tls = false;         // https or wss
  std::string host;         // without brackets
  std::string port;         // decimal
  std::string target;       // path + query, at least "/"
  std::string host_header;  // host[:port], brackets for IPv6
  std::optional<boost::asio::ip::address> literal;
};

enum class url_family { http, websocket };

// Returns "" on success, else the reason (without a "bad url: " prefix). `family` says which
// schemes are accepted: http/https, or ws/wss.
std::string parse_url(std::string_view url, parsed_url& out, url_family family = url_family::http);

}  // namespace patchbay::kit::detail
