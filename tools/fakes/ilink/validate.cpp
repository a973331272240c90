#include "validate.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <charconv>
#include <cstdint>

#include "ids.hpp"

namespace patchbay::fakes::ilink {

namespace json = boost::json;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has_header(const kit::http_request& req, std::string_view name) {
  for (const auto& header : req.headers) {
    if (iequals(header.first, name)) return true;
  }
  return false;
}

}  // namespace

std::string check_common_headers(const kit::http_request& req) {
  if (!has_header(req, "iLink-App-Id")) return "missing header iLink-App-Id";
  if (!has_header(req, "iLink-App-ClientVersion")) return "missing header iLink-App-ClientVersion";
  const auto version = trim(req.header("iLink-App-ClientVersion"));
  std::uint32_t n = 0;
  if (!version.empty()) {
    const auto [p, ec] = std::from_chars(version.data(), version.data() + version.size(), n);
    if (ec != std::errc() || p != version.data() + version.size()) {
      return "iLink-App-ClientVersion must be a decimal uint32 (major<<16|minor<<8|patch)";
    }
  }
  return {};
}

std::string check_post_headers(const kit::http_request& req) {
  const auto type = trim(req.header("Content-Type"));
  const auto semi = type.find(';');
  if (trim(type.substr(0, semi)) != "application/json")
    return "Content-Type must be application/json";
  if (trim(req.header("AuthorizationType")) != "ilink_bot_token")
    return "AuthorizationType must be ilink_bot_token";
  const auto uin = trim(req.header("X-WECHAT-UIN"));
  if (uin.empty()) return "missing header X-WECHAT-UIN";
  if (!valid_wechat_uin(uin)) return "X-WECHAT-UIN must be base64 of a decimal uint32";
  return check_common_headers(req);
}

std::optional<std::string> bearer_token(const kit::http_request& req) {
  const auto value = trim(req.header("Authorization"));
  constexpr std::string_view scheme = "Bearer ";
  if (value.size() <= scheme.size() || value.substr(0, scheme.size()) != scheme)
    return std::nullopt;
  const auto token = trim(value.substr(scheme.size()));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::string parse_body(std::string_view body, bool need_base_info, json::object& out) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return "the body must be a JSON object";
  out = std::move(v.get_object());
  if (!need_base_info) return {};
  const auto* bi = out.if_contains("base_info");
  if (!bi || !bi->is_object()) return "missing base_info object";
  const auto* cv = bi->get_object().if_contains("channel_version");
  if (!cv || !cv->is_string() || cv->get_string().empty())
    return "base_info.channel_version must be a non-empty string";
  const auto* agent = bi->get_object().if_contains("bot_agent");
  if (agent && (!agent->is_string() || agent->get_string().size() > 256)) {
    return "base_info.bot_agent must be a string of at most 256 bytes";
  }
  return {};
}

std::string need_string(const json::object& o, std::string_view name, std::string& out,
                        bool allow_empty) {
  const auto* v = o.if_contains(name);
  if (!v || !v->is_string() || (!allow_empty && v->get_string().empty())) {
    return std::string("'").append(name).append(allow_empty ? "' must be a string"
                                                            : "' must be a non-empty string");
  }
  out = std::string(v->get_string());
  return {};
}

std::string opt_string(const json::object& o, std::string_view name, std::string& out) {
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) return std::string("'").append(name).append("' must be a string");
  out = std::string(v->get_string());
  return {};
}

std::string need_int(const json::object& o, std::string_view name, std::int64_t& out) {
  const auto* v = o.if_contains(name);
  if (v && v->is_int64()) {
    out = v->get_int64();
    return {};
  }
  return std::string("'").append(name).append("' must be an integer");
}

}  // namespace patchbay::fakes::ilink
