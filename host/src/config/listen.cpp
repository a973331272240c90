// Syntax of host.listen: "host:port" with an IPv4 address, a DNS name, or a bracketed IPv6 address.
#include "config/detail.hpp"

#include <arpa/inet.h>

namespace patchbay::config::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::optional<std::string> port_problem(std::string_view port) {
  if (port.empty()) return "missing port after ':'";
  if (port.size() > 5) return "port must be a number from 0 to 65535";
  unsigned value = 0;
  for (char c : port) {
    if (!is_digit(c)) return "port must be a number from 0 to 65535";
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return "port must be a number from 0 to 65535";
  return std::nullopt;
}

bool valid_hostname(std::string_view host) {
  if (host.size() > 253) return false;
  if (host.back() == '.') host.remove_suffix(1);  // a fully qualified name
  while (true) {
    const auto dot = host.find('.');
    const std::string_view label = host.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

bool valid_ipv6(std::string_view addr) {
  // An optional zone ("fe80::1%eth0") is not understood by inet_pton.
  const auto percent = addr.find('%');
  if (percent != std::string_view::npos) {
    const std::string_view zone = addr.substr(percent + 1);
    if (zone.empty()) return false;
    for (char c : zone) {
      if (!is_alnum(c) && c != '_' && c != '-' && c != '.') return false;
    }
    addr = addr.substr(0, percent);
  }
  in6_addr out{};
  return inet_pton(AF_INET6, std::string(addr).c_str(), &out) == 1;
}

}  // namespace

std::optional<std::string> listen_address_problem(std::string_view text) {
  if (text.empty()) return "empty address";
  if (text.find("://") != std::string_view::npos) return "a URL is not a listen address";
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return "missing ']' after the IPv6 address";
    if (!valid_ipv6(text.substr(1, close - 1))) return "invalid IPv6 address";
    if (close + 1 >= text.size() || text[close + 1] != ':') return "missing ':port'";
    return port_problem(text.substr(close + 2));
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return "missing ':port'";
  const std::string_view host = text.substr(0, colon);
  if (host.empty()) return "missing host before ':'";
  if (host.find(':') != std::string_view::npos) {
    return "an IPv6 address must be written in brackets";
  }
  bool numeric = true;
  for (char c : host) numeric = numeric && (is_digit(c) || c == '.');
  if (numeric) {
    in_addr out{};
    if (inet_pton(AF_INET, std::string(host).c_str(), &out) != 1) return "invalid IPv4 address";
  } else if (!valid_hostname(host)) {
    return "invalid host name";
  }
  return port_problem(text.substr(colon + 1));
}

bool listen_is_loopback(std::string_view text) {
  if (text.rfind("[::1]:", 0) == 0) return true;
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || text.front() == '[') return false;
  const std::string host(text.substr(0, colon));
  if (host == "localhost") return true;
  in_addr out{};
  return inet_pton(AF_INET, host.c_str(), &out) == 1 && (ntohl(out.s_addr) >> 24) == 127;
}

}  // namespace patchbay::config::detail
