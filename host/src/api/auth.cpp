#include "api/auth.hpp"

#include "patchbay/common/ascii.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace patchbay::api {
namespace {

bool equal_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

std::string_view bearer_credential(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size() ||
      !common::iequals_ascii(authorization.substr(0, scheme.size()), scheme) ||
      authorization[scheme.size()] != ' ')
    return {};
  auto presented = authorization.substr(scheme.size());
  presented.remove_prefix(std::min(presented.find_first_not_of(' '), presented.size()));
  return presented;
}

bool is_turn_responses_path(std::string_view path) {
  constexpr std::string_view head = "/v1/turns/", tail = "/responses";
  return path.size() > head.size() + tail.size() && path.substr(0, head.size()) == head &&
         path.substr(path.size() - tail.size()) == tail &&
         path.substr(head.size(), path.size() - head.size() - tail.size()).find('/') ==
             std::string_view::npos;
}

bool bearer_authorized(const std::vector<std::string>& tokens, std::string_view authorization) {
  const auto presented = bearer_credential(authorization);
  if (presented.empty()) return false;
  bool ok = false;
  for (const auto& t : tokens) ok |= !t.empty() && equal_constant_time(presented, t);
  return ok;
}

bool needs_token(const api_context& ctx, std::string_view path) {
  if (ctx.api_tokens.empty() || is_turn_responses_path(path)) return false;
  return path.substr(0, 4) == "/v1/" || (ctx.metrics_require_token && path == "/metrics");
}

std::optional<kit::http_response> refuse_without_token(const api_context& ctx,
                                                       const kit::http_request& req) {
  if (!needs_token(ctx, req.path) || bearer_authorized(ctx.api_tokens, req.header("Authorization")))
    return std::nullopt;
  kit::http_response r;
  r.status = 401;
  r.body = boost::json::serialize(boost::json::object{
      {"error", {{"code", "unauthorized"}, {"message", "missing or invalid bearer token"}}}});
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

std::function<std::optional<kit::http_response>(const kit::http_request&)> make_api_screen(
    const api_context& ctx) {
  return [&ctx](const kit::http_request& head) { return refuse_without_token(ctx, head); };
}

}  // namespace patchbay::api
