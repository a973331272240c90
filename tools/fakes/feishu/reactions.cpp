// patchbay-fake-feishu: POST/DELETE /open-apis/im/v1/messages/:message_id/reactions[/:id] and the
// record behind /_fake/reactions. Rules: the message must be one the app can see (an injected
// inbound message or one it sent), `reaction_type.emoji_type` a non-empty string; a delete needs a
// reaction of this app on that message that is still there. Fault `reaction`
// `{"code"?:99991400,"http_status"?:429}` answers the next reaction call with that error.
#include "reactions.hpp"

#include <boost/json/object.hpp>

#include <cstdio>

#include "fake_feishu.hpp"

namespace patchbay::fakes::feishu {

namespace json = boost::json;

const reaction_record& reaction_store::add(std::string message_id, std::string app_id,
                                           std::string emoji, std::int64_t now_ms) {
  char id[48];
  std::snprintf(id, sizeof id, "ZCaCIjUBVVWSrm5L-%08llu", static_cast<unsigned long long>(next_++));
  records_.push_back({id, std::move(message_id), std::move(app_id), std::move(emoji), now_ms, 0});
  while (records_.size() > max_) records_.pop_front();
  return records_.back();
}

reaction_record* reaction_store::find(std::string_view reaction_id) {
  for (auto& r : records_)
    if (r.reaction_id == reaction_id) return &r;
  return nullptr;
}

json::array reaction_store::to_json(std::string_view message_filter) const {
  json::array out;
  for (const auto& r : records_) {
    if (!message_filter.empty() && r.message_id != message_filter) continue;
    out.push_back(json::object{{"reaction_id", r.reaction_id},
                               {"message_id", r.message_id},
                               {"app_id", r.app_id},
                               {"emoji_type", r.emoji_type},
                               {"added_ms", r.added_ms},
                               {"removed_ms", r.removed_ms},
                               {"present", r.removed_ms == 0}});
  }
  return out;
}

kit::http_response fake_feishu::reaction(api_ctx& c, const std::string& message_id,
                                         const std::string& reaction_id) {
  if (auto f = faults_.take("reaction", c.app->creds.app_id)) {
    const auto* code = f->if_contains("code");
    const auto* status = f->if_contains("http_status");
    return api_error(
        c.log_id, status && status->is_int64() ? static_cast<unsigned>(status->get_int64()) : 429u,
        code && code->is_int64() ? code->get_int64() : 99991400, "reaction refused (fault)");
  }
  const auto* m = messages_.find(message_id);
  if (!m || m->app_id != c.app->creds.app_id)
    return api_error(c.log_id, 400, 99992354, "these ids not existed: " + message_id);
  const auto data = [&](const reaction_record& r) {
    return json::object{
        {"reaction_id", r.reaction_id},
        {"operator", json::object{{"operator_id", r.app_id}, {"operator_type", "app"}}},
        {"action_time", std::to_string(r.removed_ms != 0 ? r.removed_ms : r.added_ms)},
        {"reaction_type", json::object{{"emoji_type", r.emoji_type}}}};
  };
  if (reaction_id.empty()) {
    if (c.req.method != "POST") return api_error(c.log_id, 405, 405, "method not allowed");
    std::string emoji;
    if (const auto* t = c.body.if_contains("reaction_type"); t && t->is_object())
      if (const auto* e = t->get_object().if_contains("emoji_type"); e && e->is_string())
        emoji = std::string(e->get_string());
    if (emoji.empty())
      return api_error(c.log_id, 400, 230001,
                       "invalid request parameter: ext=reaction_type.emoji_type");
    const auto& r = reactions_.add(message_id, c.app->creds.app_id, emoji, epoch_ms());
    return answer(c.log_id, 200, json::object{{"code", 0}, {"msg", "success"}, {"data", data(r)}});
  }
  if (c.req.method != "DELETE") return api_error(c.log_id, 405, 405, "method not allowed");
  auto* r = reactions_.find(reaction_id);
  if (!r || r->message_id != message_id || r->app_id != c.app->creds.app_id || r->removed_ms != 0)
    return api_error(c.log_id, 400, 230001, "invalid request parameter: ext=reaction not found");
  r->removed_ms = epoch_ms();
  return answer(c.log_id, 200, json::object{{"code", 0}, {"msg", "success"}, {"data", data(*r)}});
}

}  // namespace patchbay::fakes::feishu
