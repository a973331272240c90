// patchbay-fake-feishu: the long connection (§2.3–2.8) — pongs (with a ClientConfig payload when
// the pong_config fault asks), event pushes as type=event data frames with all five headers on
// every fragment, acks matched by the frame's message_id header, and the re-push schedule.
#include "fake_feishu.hpp"
#include "feishu_lark/proto/ws_frames.hpp"

namespace patchbay::fakes::feishu {

namespace ff = plugins::feishu_family;
namespace pbbp2 = plugins::feishu_family::pbbp2;

void fake_feishu::send_frame(connection& c, const pbbp2::frame& f, std::vector<ws_command>& out) {
  frame_entry e;
  e.conn = c.id;
  e.out = true;
  e.method = f.method;
  e.type = std::string(pbbp2::header_value(f, pbbp2::header_key::type));
  e.message_id = std::string(pbbp2::header_value(f, pbbp2::header_key::message_id));
  e.sum = std::string(pbbp2::header_value(f, pbbp2::header_key::sum));
  e.seq = std::string(pbbp2::header_value(f, pbbp2::header_key::seq));
  e.payload_size = f.payload ? f.payload->size() : 0;
  log_.add_frame(now(), std::move(e));
  ws_command cmd;
  cmd.what = ws_command::kind::send;
  cmd.conn = c.id;
  cmd.bytes = pbbp2::encode(f);
  out.push_back(std::move(cmd));
}

void fake_feishu::deliver_to(event_record& e, connection& c, std::vector<ws_command>& out) {
  std::string ws_id = ids_.hex(32);
  const std::string trace_id = ids_.hex(16);
  const std::uint64_t n = ++frame_seq_;
  for (const auto& f :
       ff::split_event(e.payload, e.fragments, ws_id, trace_id, c.service_id, n, n)) {
    send_frame(c, f, out);
  }
  events_.delivered(e.seq, c.id, std::move(ws_id), now());
}

void fake_feishu::deliver(std::uint64_t seq, std::vector<ws_command>& out) {
  auto* e = events_.find(seq);
  if (!e) return;
  std::vector<connection*> open;
  if (const auto it = open_by_app_.find(e->app_id); it != open_by_app_.end()) {
    for (const auto id : it->second) {
      const auto c = conns_.find(id);
      if (c != conns_.end() && c->second.open) open.push_back(&c->second);
    }
  }
  if (open.empty()) {  // waits for the next connection of the app (bounded)
    auto& q = queued_[e->app_id];
    if (q.size() >= settings_.queue_limit) {
      if (auto* old = events_.find(q.front())) old->state = event_state::given_up;
      q.pop_front();
    }
    q.push_back(seq);
    return;
  }
  // Cluster mode: one random connection of the app per event (§2.8).
  deliver_to(*e, *open[ids_.next(open.size())], out);
}

std::vector<ws_command> fake_feishu::on_open(std::uint64_t conn) {
  std::vector<ws_command> out;
  const auto it = conns_.find(conn);
  if (it == conns_.end() || it->second.ended) return out;
  it->second.open = true;
  const auto q = queued_.find(it->second.app_id);
  if (q == queued_.end()) return out;
  std::deque<std::uint64_t> waiting;
  waiting.swap(q->second);
  for (const auto seq : waiting) deliver(seq, out);
  return out;
}

std::vector<ws_command> fake_feishu::on_frame(std::uint64_t conn, std::string_view bytes) {
  std::vector<ws_command> out;
  const auto it = conns_.find(conn);
  if (it == conns_.end()) return out;
  auto& c = it->second;
  pbbp2::frame f;
  frame_entry e;
  e.conn = conn;
  e.payload_size = bytes.size();
  if (pbbp2::decode(bytes, f) != pbbp2::decode_error::none) {
    e.type = "<undecodable>";
    log_.add_frame(now(), std::move(e));
    return out;
  }
  e.method = f.method;
  e.type = std::string(pbbp2::header_value(f, pbbp2::header_key::type));
  e.message_id = std::string(pbbp2::header_value(f, pbbp2::header_key::message_id));
  e.sum = std::string(pbbp2::header_value(f, pbbp2::header_key::sum));
  e.seq = std::string(pbbp2::header_value(f, pbbp2::header_key::seq));
  e.payload_size = f.payload ? f.payload->size() : 0;
  log_.add_frame(now(), std::move(e));
  if (c.stalled_until_ms == -1 || now() < c.stalled_until_ms) return out;  // lost, as half-open

  switch (pbbp2::kind_of(f)) {
    case pbbp2::frame_kind::ping: {
      ++c.pings;
      std::optional<std::string> cfg;
      if (const auto p = pong_config_.find(c.app_id); p != pong_config_.end()) {
        cfg = std::move(p->second);
        pong_config_.erase(p);
      } else if (settings_.pong_with_config) {
        // node-sdk 1.74.0 JSON-parses any pong payload, and an absent bytes field decodes as an
        // empty (truthy) array: a pong without config logs "invalid pong payload" every time.
        ff::client_config cc;
        cc.ping_interval_s = settings_.ping_interval_s;
        cc.reconnect_count = settings_.reconnect_count;
        cc.reconnect_interval_s = settings_.reconnect_interval_s;
        cc.reconnect_nonce_s = settings_.reconnect_nonce_s;
        cfg = ff::client_config_json(cc);
      }
      const auto pong =
          cfg ? ff::make_pong(c.service_id, std::string_view(*cfg)) : ff::make_pong(c.service_id);
      send_frame(c, pong, out);
      break;
    }
    case pbbp2::frame_kind::event: {
      std::optional<int> code;
      if (f.payload) {
        if (const auto a = ff::parse_ack_payload(*f.payload)) code = a->code;
      }
      const auto r =
          events_.ack(pbbp2::header_value(f, pbbp2::header_key::message_id), code,
                      std::string(pbbp2::header_value(f, pbbp2::header_key::biz_rt)), now());
      if (r.again) deliver(*r.again, out);
      break;
    }
    default:
      break;  // clients send nothing else; logged above
  }
  return out;
}

void fake_feishu::on_close(std::uint64_t conn, std::string why) {
  const auto it = conns_.find(conn);
  if (it == conns_.end() || it->second.ended) return;
  auto& c = it->second;
  c.open = false;
  c.ended = true;
  c.closed_ms = std::max<std::int64_t>(now(), 1);
  c.close_reason = std::move(why);
  auto& v = open_by_app_[c.app_id];
  std::erase(v, conn);
}

std::vector<ws_command> fake_feishu::tick() {
  std::vector<ws_command> out;
  for (const auto seq : events_.tick(now())) deliver(seq, out);
  return out;
}

std::vector<ws_command> fake_feishu::for_app_conns(std::string_view app_id,
                                                   const ws_command& proto) {
  std::vector<ws_command> out;
  for (const auto& [app, ids] : open_by_app_) {
    if (!app_id.empty() && app != app_id) continue;
    for (const auto id : ids) {
      if (proto.what == ws_command::kind::stall) {
        auto& conn = conns_[id];
        conn.stalled_until_ms = proto.duration_ms > 0 ? now() + proto.duration_ms : -1;
      }
      ws_command c = proto;
      c.conn = id;
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace patchbay::fakes::feishu
