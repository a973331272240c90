#include "api/pairing_routes.hpp"

#include <boost/json.hpp>

#include "access/pairing_book.hpp"

namespace patchbay::api {
namespace json = boost::json;
namespace {

kit::http_response reply(unsigned status, const json::object& body) {
  kit::http_response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}
kit::http_response error(unsigned status, const char* code, const std::string& message) {
  return reply(status, {{"error", {{"code", code}, {"message", message}}}});
}
kit::http_response wrong_method(const char* allow) {
  auto r = error(405, "method_not_allowed", std::string("use ") + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

// The string members `keys` of a JSON object body; false (and `why`) when one is missing.
bool read_strings(const std::string& body, std::initializer_list<const char*> keys,
                  std::vector<std::string>& out, std::string& why) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    why = "body must be a JSON object";
    return false;
  }
  for (const char* k : keys) {
    const auto* s = v.as_object().if_contains(k);
    if (s == nullptr || !s->is_string() || s->as_string().empty()) {
      why = std::string("`") + k + "` is required (a non-empty string)";
      return false;
    }
    out.emplace_back(s->as_string());
  }
  return true;
}

kit::http_response list(access::pairing_book& book) {
  auto l = book.list();
  json::array pending, approved;
  for (const auto& c : l.pending)
    pending.push_back(json::object{{"channel", c.channel},
                                   {"sender", c.sender},
                                   {"code", c.code},
                                   {"expires_at", c.expires_unix_s}});
  for (const auto& a : l.approved)
    approved.push_back(json::object{
        {"channel", a.channel}, {"sender", a.sender}, {"approved_at", a.approved_unix_s}});
  return reply(200, {{"pending", std::move(pending)}, {"approved", std::move(approved)}});
}

}  // namespace

std::optional<kit::http_response> pairing_response(access::pairing_book* book,
                                                   const kit::http_request& req) {
  const std::string& path = req.path;
  if (path != "/v1/pairings" && path != "/v1/pairings/approve" && path != "/v1/pairings/revoke")
    return std::nullopt;
  if (book == nullptr) return error(404, "not_found", "pairing is not served");
  if (path == "/v1/pairings") {
    if (req.method != "GET" && req.method != "HEAD") return wrong_method("GET");
    return list(*book);
  }
  if (req.method != "POST") return wrong_method("POST");
  std::vector<std::string> v;
  std::string why;
  if (path == "/v1/pairings/approve") {
    if (!read_strings(req.body, {"code"}, v, why)) return error(400, "invalid_request", why);
    auto a = book->approve(v[0]);
    if (!a) return error(404, "unknown_code", "no pending pairing code matches (or it expired)");
    return reply(200, {{"approved", {{"channel", a->channel}, {"sender", a->sender}}}});
  }
  if (!read_strings(req.body, {"channel", "sender"}, v, why))
    return error(400, "invalid_request", why);
  if (!book->revoke(v[0], v[1]))
    return error(404, "not_found", "no approval or pending code for that sender on that channel");
  return reply(200, {{"revoked", {{"channel", v[0]}, {"sender", v[1]}}}});
}

}  // namespace patchbay::api
