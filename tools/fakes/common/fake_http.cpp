#include "fake_http.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <charconv>

namespace patchbay::fakes::common {

namespace json = boost::json;

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const std::string_view raw =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      unsigned v = 0;
      if (raw[i] == '%' && i + 2 < raw.size() &&
          std::from_chars(raw.data() + i + 1, raw.data() + i + 3, v, 16).ptr ==
              raw.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
      } else {
        out.push_back(raw[i]);
      }
    }
    return out;
  }
  return std::nullopt;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

std::optional<std::string> bearer_token(const kit::http_request& req) {
  std::string_view v = req.header("Authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (v.size() <= prefix.size() || !iequals(v.substr(0, prefix.size()), prefix)) {
    return std::nullopt;
  }
  v.remove_prefix(prefix.size());
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  return std::string(v);
}

std::string parse_object(std::string_view body, json::object& out) {
  if (body.empty()) {
    out = {};
    return {};
  }
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) return "the body is not JSON";
  if (!v.is_object()) return "the body is not a JSON object";
  out = std::move(v.get_object());
  return {};
}

kit::http_response json_response(unsigned status, const json::object& body,
                                 kit::http_headers headers) {
  kit::http_response r;
  r.status = status;
  r.content_type = "application/json; charset=utf-8";
  r.headers = std::move(headers);
  r.body = json::serialize(body);
  return r;
}

kit::http_response json_error(unsigned status, std::string_view what) {
  return json_response(status, json::object{{"error", what}});
}

bool parse_number(std::string_view s, std::uint64_t max, std::uint64_t& out) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string_view::npos)
    return false;
  out = std::stoull(std::string(s));
  return out <= max;
}

}  // namespace patchbay::fakes::common
