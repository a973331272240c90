#include "api/turn_responses_route.hpp"

#include <boost/json.hpp>

#include "api/auth.hpp"
#include "patchbay/common/url_encode.hpp"

namespace patchbay::api {
namespace {

kit::http_response answer(unsigned status, const boost::json::object& body) {
  kit::http_response r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

kit::http_response refuse(unsigned status, const std::string& code, const std::string& message) {
  auto r = answer(status, {{"error", {{"code", code}, {"message", message}}}});
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (status == 503) r.headers.emplace_back("Retry-After", "5");
  if (status == 405) r.headers.emplace_back("Allow", "POST");
  return r;
}

}  // namespace

kit::http_response turn_responses_response(agents::turn_callbacks* callbacks,
                                           const kit::http_request& req) {
  if (req.method != "POST") return refuse(405, "method_not_allowed", "use POST");
  constexpr std::string_view head = "/v1/turns/", tail = "/responses";
  std::string_view segment(req.path);
  segment = segment.substr(head.size(), segment.size() - head.size() - tail.size());
  auto turn = common::url_decode(segment);
  const std::string_view token = bearer_credential(req.header("Authorization"));
  if (token.empty())
    return refuse(401, "unauthorized", "missing bearer token (the turn's callback token)");
  if (!turn || turn->empty() || callbacks == nullptr)
    return refuse(404, "unknown_turn", "no turn waits for responses here");
  const auto out = callbacks->deliver(*turn, token, req.body);
  switch (out.status) {
    case agents::callback_status::accepted:
      return answer(202, {{"accepted", out.accepted}});
    case agents::callback_status::bad_request:
      return refuse(400, "invalid_payload", out.reason);
    case agents::callback_status::unauthorized:
      return refuse(401, "unauthorized", "invalid token for this turn");
    case agents::callback_status::unknown_turn:
      return refuse(404, "unknown_turn", "no turn waits for responses here");
    case agents::callback_status::gone:
      return refuse(410, "turn_ended", "the turn has ended");
    case agents::callback_status::unavailable:
      return refuse(503, "shutting_down", "the gateway is shutting down");
  }
  return refuse(500, "internal", "unexpected outcome");
}

}  // namespace patchbay::api
