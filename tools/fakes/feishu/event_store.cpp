#include "event_store.hpp"

#include <boost/json/object.hpp>

namespace patchbay::fakes::feishu {

namespace json = boost::json;

const char* to_string(event_state s) {
  switch (s) {
    case event_state::queued:
      return "queued";
    case event_state::awaiting_ack:
      return "awaiting_ack";
    case event_state::waiting_repush:
      return "waiting_repush";
    case event_state::acked:
      return "acked";
    case event_state::given_up:
      return "given_up";
  }
  return "?";
}

std::uint64_t event_store::add(event_record e) {
  while (events_.size() >= std::max<std::size_t>(max_events_, 1)) evict_oldest();
  e.seq = next_seq_++;
  e.state = event_state::queued;
  if (!e.repush_ms) e.repush_ms = std::make_shared<const std::vector<std::int64_t>>();
  const auto seq = e.seq;
  order_.push_back(seq);
  events_.emplace(seq, std::move(e));
  return seq;
}

event_record* event_store::find(std::uint64_t seq) {
  const auto it = events_.find(seq);
  return it == events_.end() ? nullptr : &it->second;
}

void event_store::schedule(event_record& e, event_state s, std::int64_t due_ms) {
  unschedule(e);
  e.state = s;
  e.due_ms = due_ms;
  timeline_.emplace(due_ms, e.seq);
}

void event_store::unschedule(event_record& e) {
  if (e.state == event_state::awaiting_ack || e.state == event_state::waiting_repush) {
    timeline_.erase({e.due_ms, e.seq});
  }
}

void event_store::delivered(std::uint64_t seq, std::uint64_t conn, std::string ws_message_id,
                            std::int64_t now_ms) {
  auto* e = find(seq);
  if (!e) return;
  by_ws_id_[ws_message_id] = seq;
  ++e->delivery_count;
  if (e->deliveries.size() < max_deliveries) {
    e->deliveries.push_back({now_ms, conn, std::move(ws_message_id)});
  }
  // A duplicate delivery after a successful ack is not tracked again (the event stays acked).
  if (e->state == event_state::acked) return;
  schedule(*e, event_state::awaiting_ack, now_ms + e->ack_timeout_ms);
}

void event_store::fail(event_record& e, std::int64_t now_ms) {
  unschedule(e);
  if (e.failures >= e.repush_ms->size()) {
    e.state = event_state::given_up;
    return;
  }
  const auto delay = (*e.repush_ms)[e.failures];
  ++e.failures;
  schedule(e, event_state::waiting_repush, now_ms + delay);
}

event_store::ack_result event_store::ack(std::string_view ws_message_id, std::optional<int> code,
                                         std::string biz_rt, std::int64_t now_ms) {
  ack_result r;
  const auto it = by_ws_id_.find(std::string(ws_message_id));
  if (it == by_ws_id_.end()) return r;
  auto* e = find(it->second);
  if (!e) return r;
  r.known = true;
  e->ack_code = code;
  e->ack_biz_rt = std::move(biz_rt);
  if (code && *code == 200) {
    const bool first = !e->acked;
    e->acked = true;
    unschedule(*e);
    e->state = event_state::acked;
    if (first && e->duplicate) r.again = e->seq;
  } else if (e->state == event_state::awaiting_ack) {
    fail(*e, now_ms);  // a failed ack: the re-push schedule starts now
  }
  return r;
}

std::vector<std::uint64_t> event_store::tick(std::int64_t now_ms) {
  std::vector<std::uint64_t> due;
  while (!timeline_.empty() && timeline_.begin()->first <= now_ms) {
    const auto seq = timeline_.begin()->second;
    auto* e = find(seq);
    if (!e) {
      timeline_.erase(timeline_.begin());
      continue;
    }
    if (e->state == event_state::awaiting_ack) {
      fail(*e, e->due_ms);  // counted from the deadline, not from when we noticed
    } else {
      unschedule(*e);
      e->state = event_state::queued;
      due.push_back(seq);
    }
  }
  return due;
}

std::optional<std::int64_t> event_store::next_deadline() const {
  if (timeline_.empty()) return std::nullopt;
  return timeline_.begin()->first;
}

void event_store::evict_oldest() {
  if (order_.empty()) return;
  const auto seq = order_.front();
  order_.pop_front();
  const auto it = events_.find(seq);
  if (it == events_.end()) return;
  unschedule(it->second);
  for (const auto& d : it->second.deliveries) by_ws_id_.erase(d.ws_message_id);
  events_.erase(it);
}

json::array event_store::to_json(std::string_view app_filter) const {
  json::array out;
  for (const auto seq : order_) {
    const auto it = events_.find(seq);
    if (it == events_.end()) continue;
    const auto& e = it->second;
    if (!app_filter.empty() && e.app_id != app_filter) continue;
    json::array ds;
    for (const auto& d : e.deliveries) {
      ds.push_back(json::object{
          {"time_ms", d.time_ms}, {"conn", d.conn}, {"ws_message_id", d.ws_message_id}});
    }
    json::object o{{"event_id", e.event_id},
                   {"message_id", e.message_id},
                   {"chat_id", e.chat_id},
                   {"app_id", e.app_id},
                   {"deliveries", std::move(ds)},
                   {"delivery_count", e.delivery_count},
                   {"acked", e.acked},
                   {"state", to_string(e.state)},
                   {"failures", e.failures},
                   {"fragments", e.fragments}};
    o["ack_code"] = e.ack_code ? json::value(*e.ack_code) : json::value(nullptr);
    o["ack_biz_rt"] = e.ack_biz_rt ? json::value(*e.ack_biz_rt) : json::value(nullptr);
    out.push_back(std::move(o));
  }
  return out;
}

void event_store::clear() {
  events_.clear();
  order_.clear();
  by_ws_id_.clear();
  timeline_.clear();
}

}  // namespace patchbay::fakes::feishu
