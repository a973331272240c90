// URL parsing shared by the kit's clients; see url.hpp.
#include "url.hpp"

#include "text_util.hpp"

#include <boost/system/error_code.hpp>

namespace patchbay::kit::detail {

std::string parse_url(std::string_view url, parsed_url& out, url_family family) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "missing scheme";
  const std::string_view scheme = url.substr(0, scheme_end);
  const bool web = family == url_family::websocket;
  if (iequals(scheme, web ? "ws" : "http")) {
    out.tls = false;
  } else if (iequals(scheme, web ? "wss" : "https")) {
    out.tls = true;
  } else {
    return "unsupported scheme '" + std::string(scheme) + "'";
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of(" \t\r\n") != std::string_view::npos) return "contains whitespace";
  const auto auth_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail =
      auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) return "credentials in url not supported";

  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated ipv6 address";
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "garbage after ipv6 address";
      port = after.substr(1);
      if (port.empty()) return "empty port";
    }
    bracketed = true;
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return "empty port";
    }
  }
  if (host.empty()) return "missing host";
  if (port.empty()) {
    out.port = out.tls ? "443" : "80";
  } else {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
      return "bad port";
    const unsigned long n = std::stoul(std::string(port));
    if (n == 0 || n > 65535) return "bad port";
    out.port = std::to_string(n);
  }
  out.host = std::string(host);
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(out.host, ec);
  if (!ec) {
    if (addr.is_v6() != bracketed)
      return bracketed ? "bad ipv6 address" : "ipv6 address must be bracketed";
    out.literal = addr;
  } else if (bracketed) {
    return "bad ipv6 address";
  } else if (out.host.find_first_of("[]") != std::string::npos) {
    return "bad host";
  }

  const auto hash = tail.find('#');
  if (hash != std::string_view::npos) tail = tail.substr(0, hash);
  if (tail.empty()) {
    out.target = std::string("/");  // not = "/": GCC 12 -Wrestrict false positive (_M_replace)
  } else if (tail.front() == '?') {
    out.target = "/" + std::string(tail);
  } else {
    out.target = std::string(tail);
  }
  out.host_header = bracketed ? "[" + out.host + "]" : out.host;
  if (!port.empty() && out.port != (out.tls ? "443" : "80")) out.host_header += ":" + out.port;
  return {};
}

}  // namespace patchbay::kit::detail
