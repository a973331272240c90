#include "api/health.hpp"

#include <boost/json.hpp>

#include "plugin/channel_health.hpp"

namespace patchbay::api {

kit::http_response channel_health_response(const plugin::status_board& board,
                                           std::chrono::milliseconds grace,
                                           const kit::http_request& req) {
  namespace json = boost::json;
  kit::http_response r;
  if (req.method != "GET" && req.method != "HEAD") {
    r.status = 405;
    r.headers.emplace_back("Allow", "GET, HEAD");
    r.body = json::serialize(
        json::object{{"error", {{"code", "method_not_allowed"}, {"message", "use GET"}}}});
    return r;
  }
  const int64_t now = board.now_unix_ms();
  const auto v = plugin::evaluate(board.snapshot(), now, grace.count());
  json::array channels;
  for (const auto& c : v.channels)
    channels.push_back(json::object{{"id", c.id},
                                    {"enabled", c.enabled},
                                    {"state", plugin::to_string(c.state)},
                                    {"reason", c.reason},
                                    {"for_ms", c.state_for_ms},
                                    {"down_for_ms", c.down_for_ms},
                                    {"healthy", c.healthy}});
  json::array unhealthy;
  std::string names;
  for (const auto& id : v.unhealthy) {
    unhealthy.emplace_back(id);
    names += (names.empty() ? "" : ", ") + id;
  }
  json::object body{{"healthy", v.healthy},
                    {"grace_ms", grace.count()},
                    {"unhealthy", std::move(unhealthy)},
                    {"channels", std::move(channels)}};
  if (!v.healthy)
    body["reason"] =
        "not connected for longer than " + std::to_string(grace.count()) + " ms: " + names;
  r.status = v.healthy ? 200 : 503;
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = json::serialize(body);
  return r;
}

}  // namespace patchbay::api
