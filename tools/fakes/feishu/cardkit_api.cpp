// patchbay-fake-feishu: the CardKit endpoints (docs/protocols/feishu-lark.md §3.8) over card_store:
//   POST  /open-apis/cardkit/v1/cards                                       create
//   PUT   /open-apis/cardkit/v1/cards/:card_id                               full update
//   PUT   /open-apis/cardkit/v1/cards/:card_id/elements/:element_id/content  streaming text
//   PATCH /open-apis/cardkit/v1/cards/:card_id/settings                      settings
// Faults (POST /_fake/fault): `card_error` {"code","msg"?} answers the next `count` streaming
// updates with that code (200850 and 300309 also end the card's streaming mode, as the platform
// does), `card_settings_error` the settings calls, `card_create_error` the creations.
#include <boost/json/serialize.hpp>

#include "fake_feishu.hpp"

namespace patchbay::fakes::feishu {

namespace json = boost::json;

card_store::limits fake_feishu::card_limits() const {
  return card_store::limits{settings_.card_streaming_timeout_ms, settings_.card_rate_per_s};
}

kit::http_response fake_feishu::cardkit(api_ctx& c, std::string_view rest) {
  const std::string app_id = c.app->creds.app_id;
  const auto injected = [&](std::string_view kind,
                            const std::string& card_id) -> std::optional<kit::http_response> {
    auto f = faults_.take(kind, app_id);
    if (!f) return std::nullopt;
    const auto* code = f->if_contains("code");
    const auto* msg = f->if_contains("msg");
    const std::int64_t k = code && code->is_int64() ? code->get_int64() : 300309;
    if (k == 200850 || k == 300309) cards_.end_streaming(card_id);
    return api_error(c.log_id, 400, k,
                     msg && msg->is_string() ? std::string(msg->get_string())
                                             : "injected card error " + std::to_string(k));
  };
  const auto answer_of = [&](const card_answer& a) {
    if (a.code != 0) return api_error(c.log_id, 400, a.code, a.msg);
    json::object data;
    if (!a.card_id.empty()) data["card_id"] = a.card_id;
    return answer(c.log_id, 200,
                  json::object{{"code", 0}, {"msg", "success"}, {"data", std::move(data)}});
  };
  const auto& method = c.req.method;
  if (rest.empty()) {
    if (method != "POST") return api_error(c.log_id, 405, 405, "method not allowed");
    if (auto e = injected("card_create_error", {})) return *e;
    return answer_of(cards_.create(app_id, c.body, now(), ids_.card_id()));
  }
  if (rest.front() != '/') return api_error(c.log_id, 404, 404, "404 page not found");
  rest.remove_prefix(1);
  const auto slash = rest.find('/');
  const std::string card_id(rest.substr(0, slash));
  const std::string_view tail = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (card_id.empty()) return api_error(c.log_id, 404, 404, "404 page not found");
  if (tail.empty()) {
    if (method != "PUT") return api_error(c.log_id, 405, 405, "method not allowed");
    return answer_of(cards_.update(app_id, card_id, c.body, now(), card_limits()));
  }
  if (tail == "/settings") {
    if (method != "PATCH") return api_error(c.log_id, 405, 405, "method not allowed");
    if (auto e = injected("card_settings_error", card_id)) return *e;
    return answer_of(cards_.settings(app_id, card_id, c.body, now(), card_limits()));
  }
  constexpr std::string_view elements = "/elements/";
  constexpr std::string_view content = "/content";
  if (tail.rfind(elements, 0) == 0 && tail.size() > elements.size() + content.size() &&
      tail.substr(tail.size() - content.size()) == content) {
    const std::string element_id(
        tail.substr(elements.size(), tail.size() - elements.size() - content.size()));
    if (element_id.find('/') != std::string::npos)
      return api_error(c.log_id, 404, 404, "404 page not found");
    if (method != "PUT") return api_error(c.log_id, 405, 405, "method not allowed");
    if (auto e = injected("card_error", card_id)) return *e;
    return answer_of(cards_.content(app_id, card_id, element_id, c.body, now(), card_limits()));
  }
  return api_error(c.log_id, 404, 404, "404 page not found");
}

}  // namespace patchbay::fakes::feishu
