// ws_link: the open Feishu/Lark long connection (docs/protocols/feishu-lark.md §2.3–2.7) — ping
// right after open and every PingInterval, liveness (no inbound frame for PingInterval +
// liveness_margin → abort), pongs and their ClientConfig (validated), data frames (type=event
// reassembled and handed to on_event; card and unknown types dropped without an ack; text messages
// ignored) and the ack each event gets when the channel says it is durable. The class:
// ws_supervisor_impl.hpp.
#include <algorithm>

#include "feishu_lark/channel/ws_supervisor_impl.hpp"

namespace patchbay::plugins::feishu_family::ws_detail {

void supervisor_impl::alive(pb_liveness_kind kind) {
  if (!hooks_.on_alive || stopped_) return;
  hooks_.on_alive(kind, std::max(ping_interval() * 3, liveness_limit()));
}

void supervisor_impl::send_ping() {
  if (conn_ && conn_->send_binary(pbbp2::encode(make_ping(service_id_)))) ++stats_.pings_sent;
}

void supervisor_impl::on_ping_timer() {
  if (phase_ != phase::open) return;
  send_ping();
  // The current interval: a pong-carried PingInterval takes effect from the next ping on.
  arm(ping_timer_, ping_interval(), &supervisor_impl::on_ping_timer);
}

// Death detection that trusts nobody: no inbound frame at all (pong, event, anything) for
// PingInterval + liveness_margin means a stalled or half-open connection.
void supervisor_impl::on_liveness_timer() {
  if (phase_ != phase::open) return;
  const int64_t idle = now_ms() - last_inbound_ms_;
  const int64_t limit = liveness_limit().count();
  if (idle < limit)
    return arm(liveness_timer_, milliseconds(limit - idle), &supervisor_impl::on_liveness_timer);
  death_reason_ = "connection dead: no frame for " + std::to_string(idle) + " ms (PingInterval " +
                  std::to_string(config_.ping_interval_s) + " s + margin)";
  log(PB_LOG_WARN, death_reason_ + "; aborting it");
  phase_ = phase::closing;
  disarm(ping_timer_);
  if (conn_) conn_->abort();
}

void supervisor_impl::on_message(uint64_t gen, kit::ws_message_kind kind,
                                 const std::string& bytes) {
  if (stopping_ || gen != gen_ || phase_ != phase::open) return;
  last_inbound_ms_ = now_ms();
  if (kind == kit::ws_message_kind::text) {
    log(PB_LOG_DEBUG,
        "text WebSocket message ignored (" + std::to_string(bytes.size()) + " bytes)");
    return;
  }
  pbbp2::frame f;
  if (auto e = pbbp2::decode(bytes, f); e != pbbp2::decode_error::none) {
    log(PB_LOG_WARN, std::string("undecodable frame dropped: ") + pbbp2::to_string(e));
    return;
  }
  switch (pbbp2::kind_of(f)) {
    case pbbp2::frame_kind::pong:
      return on_pong(f);
    case pbbp2::frame_kind::ping:  // a server ping is not answered (as every SDK)
    case pbbp2::frame_kind::other_control:
      return;
    case pbbp2::frame_kind::unknown_method:
      log(PB_LOG_DEBUG, "frame with unknown method " + std::to_string(f.method) + " dropped");
      return;
    default:
      return on_data(std::move(f));
  }
}

void supervisor_impl::on_pong(const pbbp2::frame& f) {
  ++stats_.pongs;
  alive(PB_LIVENESS_PONG);
  const auto p = parse_pong(f);
  if (!p) return;
  if (!p->error.empty()) {
    log(PB_LOG_WARN, "pong ClientConfig rejected, keeping the current one: " + p->error);
    return;
  }
  if (!p->config || *p->config == config_) return;
  const bool new_interval = p->config->ping_interval_s != config_.ping_interval_s;
  config_ = *p->config;
  log(PB_LOG_INFO, "server ClientConfig applied: PingInterval " +
                       std::to_string(config_.ping_interval_s) + " s");
  note_server_policy("pong");
  if (!new_interval) return;
  // The new interval counts from now (node waits for the old one to run out first, which can
  // leave a shortened interval unused for minutes); the liveness limit follows it.
  arm(ping_timer_, ping_interval(), &supervisor_impl::on_ping_timer);
  const int64_t idle = now_ms() - last_inbound_ms_;
  arm(liveness_timer_, milliseconds(std::max<int64_t>(0, liveness_limit().count() - idle)),
      &supervisor_impl::on_liveness_timer);
}

// ReconnectCount / ReconnectInterval / ReconnectNonce from the server only inform the log: the
// SDKs that obey a small ReconnectCount give up silently (§8, openclaw #72828). Our own policy
// (ws_retry: jittered backoff reset after stability, slow retry on fatal errors) governs and
// never gives up.
void supervisor_impl::note_server_policy(const char* source) {
  if (config_.reconnect_count < 0) return;
  log(PB_LOG_INFO, std::string("server ClientConfig (") + source + ") says ReconnectCount " +
                       std::to_string(config_.reconnect_count) + ", ReconnectInterval " +
                       std::to_string(config_.reconnect_interval_s) +
                       " s: noted only; this client keeps reconnecting with its own backoff");
}

void supervisor_impl::on_data(pbbp2::frame f) {
  alive(PB_LIVENESS_EVENT);
  if (classify_data_frame(f) == data_disposition::drop_without_ack) {
    log(PB_LOG_DEBUG, "data frame of type '" +
                          std::string(pbbp2::header_value(f, pbbp2::header_key::type)) +
                          "' dropped without an ack");
    return;
  }
  auto r = reassembler_.add(std::move(f), now_ms());
  if (r.status == fragment_status::rejected) {
    log(PB_LOG_WARN, "event fragment rejected (not acked, the platform re-pushes): " + r.reason);
  } else if (r.status == fragment_status::complete) {
    deliver(std::move(r.frame));
  }
  rearm_fragment_timer();
}

void supervisor_impl::rearm_fragment_timer() {
  const auto deadline = reassembler_.next_deadline();
  if (!deadline) return disarm(fragment_timer_);
  arm(fragment_timer_, milliseconds(*deadline - now_ms()), &supervisor_impl::on_fragment_timer);
}

void supervisor_impl::on_fragment_timer() {
  if (const size_t n = reassembler_.expire(now_ms()); n > 0)
    log(PB_LOG_WARN, std::to_string(n) +
                         " incomplete fragmented event(s) dropped after the fragment timeout "
                         "(not acked: the platform re-pushes them)");
  rearm_fragment_timer();
}

void supervisor_impl::deliver(pbbp2::frame f) {
  std::string payload = f.payload ? std::move(*f.payload) : std::string();
  f.payload.reset();
  ++stats_.events;
  if (!hooks_.on_event) return;
  auto st = std::make_shared<ack_state>();
  st->owner = weak_from_this();
  st->gen = gen_;
  st->frame = std::move(f);
  st->handed_at_ms = now_ms();
  ws_ack_fn ack = [st](int code, std::optional<std::string> data_json) {
    if (st->used.exchange(true)) return;  // at most once
    post_weak(st->owner, [st, code, data = std::move(data_json)](supervisor_impl& s) {
      s.send_ack(*st, code, data);
    });
  };
  // A throwing hook must not break the state machine; the event stays unacked (re-pushed).
  try {
    hooks_.on_event(std::move(payload), std::move(ack));
  } catch (const std::exception& e) {
    log(PB_LOG_ERROR, std::string("event hook threw: ") + e.what());
  }
}

void supervisor_impl::send_ack(const ack_state& st, int code,
                               const std::optional<std::string>& data_json) {
  const std::string id(pbbp2::header_value(st.frame, pbbp2::header_key::message_id));
  if (stopping_ || st.gen != gen_ || phase_ != phase::open || !conn_) {
    log(PB_LOG_DEBUG, "ack for WS message " + id +
                          " dropped: its connection is gone (the platform re-pushes it)");
    return;
  }
  const int64_t biz_rt = std::max<int64_t>(0, now_ms() - st.handed_at_ms);
  std::optional<std::string_view> data;
  if (data_json) data = *data_json;
  if (conn_->send_binary(pbbp2::encode(make_ack(st.frame, code, biz_rt, data))))
    ++stats_.acks_sent;
  else
    log(PB_LOG_WARN, "ack for WS message " + id + " could not be queued");
}

}  // namespace patchbay::plugins::feishu_family::ws_detail
