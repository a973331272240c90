#include "bounded_log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>

namespace patchbay::fakes::common {

namespace json = boost::json;

namespace {
constexpr std::size_t max_body_json = std::size_t{64} * 1024;
}  // namespace

json::object logged_headers(const kit::http_headers& headers, const name_filter& is_secret,
                            std::string_view mask) {
  json::object o;
  for (const auto& [name, value] : headers) {
    o[name] = is_secret(name) && !value.empty() ? json::string(mask) : json::string(value);
  }
  return o;
}

std::optional<json::value> logged_json_body(std::string_view body, const name_filter& is_secret) {
  if (body.size() > max_body_json) return std::nullopt;
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) return std::nullopt;
  if (is_secret && v.is_object()) {
    for (auto& [k, val] : v.get_object())
      if (is_secret(k)) val = "***";
  }
  return v;
}

json::value logged_body(std::string_view body, std::size_t max_text, const name_filter& is_secret) {
  if (body.empty()) return nullptr;
  if (auto v = logged_json_body(body, is_secret)) return std::move(*v);
  return json::string(body.substr(0, max_text));
}

}  // namespace patchbay::fakes::common
