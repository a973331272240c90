// ws_supervisor: the cycle of the Feishu/Lark long connection — endpoint discovery before every
// connect, the wss connect, the verdict on how it ended, the backoff wait (ws_retry), stop — and
// the timer/status plumbing. The open connection's traffic is in ws_link.cpp; the class and its
// threading rules in ws_supervisor_impl.hpp.
#include <algorithm>

#include "feishu_lark/channel/ws_supervisor_impl.hpp"
#include "feishu_lark/proto/endpoint.hpp"

namespace patchbay::plugins::feishu_family {
namespace ws_detail {
namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t wall_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The close of our own connection when stopping: a live peer answers at once; a stalled one is
// cut off after this.
constexpr milliseconds stop_close_timeout{2'000};

}  // namespace

supervisor_impl::supervisor_impl(kit::io_runtime& rt, kit::strand strand, const channel_config& cfg,
                                 ws_hooks hooks)
    : rt_(rt),
      strand_(std::move(strand)),
      cfg_(cfg),
      hooks_(std::move(hooks)),
      retry_(cfg.reconnect, cfg.stable_after, cfg.fatal_retry),
      reassembler_(reassembly_limits{.timeout_ms = cfg.fragment_timeout.count()}),
      retry_timer_(rt, strand_),
      ping_timer_(rt, strand_),
      liveness_timer_(rt, strand_),
      fragment_timer_(rt, strand_) {
  if (!hooks_.monotonic_ms) hooks_.monotonic_ms = steady_ms;
  if (!hooks_.now_unix_ms) hooks_.now_unix_ms = wall_ms;
}

supervisor_impl::~supervisor_impl() {
  // Dropped without stop(): the timers cancel themselves, the connection closes when its last
  // handle goes; the discovery request is cut short rather than left to its deadline.
  if (discovery_cancel_) discovery_cancel_->cancel();
}

void supervisor_impl::start() {
  in_strand([](supervisor_impl& s) {
    if (s.started_ || s.stopping_) return;
    s.started_ = true;
    s.status(PB_STATE_STARTING, "connecting", 0, 0);
    s.start_cycle();
  });
}

void supervisor_impl::stop(std::function<void()> done) {
  in_strand([done = std::move(done)](supervisor_impl& s) mutable {
    if (s.stopped_) {
      if (done) done();
      return;
    }
    if (done) s.stop_dones_.push_back(std::move(done));
    if (s.stopping_) return;
    s.stopping_ = true;
    s.keep_alive_ = s.shared_from_this();  // until done, whoever drops their handle
    for (auto* t : s.timers()) s.disarm(*t);
    if (s.discovery_cancel_) s.discovery_cancel_->cancel();
    if (s.conn_) s.conn_->close(1000, "client stopping");
    s.check_stopped();
  });
}

ws_counters supervisor_impl::counters() const {
  std::lock_guard lock(mu_);
  return published_;
}

void supervisor_impl::publish() {
  ws_counters c = stats_;
  c.consecutive_failures = retry_.consecutive_failures();
  c.live_connections = conn_pending_ ? 1 : 0;
  c.pending_fragments = static_cast<uint32_t>(reassembler_.pending());
  c.armed_timers = 0;
  for (auto* t : timers()) c.armed_timers += t->armed ? 1 : 0;
  std::lock_guard lock(mu_);
  published_ = c;
}

void supervisor_impl::start_cycle() {
  if (stopping_) return;
  ++stats_.cycles;
  ++gen_;
  phase_ = phase::discovering;
  kit::http_client_request req;
  req.method = "POST";
  req.url = cfg_.domain + std::string(endpoint_path);
  req.headers = {{"locale", "zh"}, {"Content-Type", "application/json"}};
  req.body = endpoint_request_body(cfg_.app_id, cfg_.app_secret);
  req.ca_file = cfg_.ca_file;
  req.connect_timeout = cfg_.connect_timeout;
  req.first_byte_timeout = cfg_.api_timeout;
  req.idle_timeout = cfg_.api_timeout;
  req.total_timeout = cfg_.connect_timeout + cfg_.api_timeout;
  req.max_body_bytes = 64 << 10;
  discovery_cancel_ = std::make_shared<kit::http_cancel>();
  req.cancel = discovery_cancel_;
  discovery_pending_ = true;
  log(PB_LOG_DEBUG, "endpoint discovery at " + cfg_.domain + std::string(endpoint_path));
  kit::http_fetch(
      rt_, std::move(req),
      [w = weak_from_this(), gen = gen_](std::string err, kit::http_client_response resp) {
        post_weak(w, [gen, err = std::move(err), resp = std::move(resp)](supervisor_impl& s) {
          s.on_discovery(gen, err, resp);
        });
      });
}

void supervisor_impl::on_discovery(uint64_t gen, const std::string& err,
                                   const kit::http_client_response& resp) {
  discovery_pending_ = false;
  discovery_cancel_.reset();
  if (stopping_) return check_stopped();
  if (gen != gen_ || phase_ != phase::discovering) return;
  if (!err.empty()) return cycle_failed("endpoint discovery failed: " + err, false);
  const auto r = parse_endpoint_response(static_cast<int>(resp.status), resp.body);
  if (r.outcome != discovery_outcome::ok)
    return cycle_failed(r.reason, r.outcome == discovery_outcome::fatal);
  if (r.config_defaulted) log(PB_LOG_WARN, r.reason);
  config_ = r.config;
  service_id_ = r.service_id;
  note_server_policy("discovery");
  // The URL's query holds the connection's ticket: log the ids only.
  log(PB_LOG_DEBUG, "endpoint discovered: device_id " + r.device_id + ", service_id " +
                        std::to_string(r.service_id) + ", PingInterval " +
                        std::to_string(config_.ping_interval_s) + " s");
  if (r.url.rfind("wss://", 0) != 0 && !plain_ws_warned_) {
    plain_ws_warned_ = true;
    log(PB_LOG_WARN, "the discovered endpoint is plain ws://, not wss://");
  }
  connect(r.url);
}

void supervisor_impl::connect(const std::string& url) {
  phase_ = phase::connecting;
  kit::ws_client_options o;
  o.url = url;
  o.ca_file = cfg_.ca_file;
  o.connect_timeout = cfg_.connect_timeout;
  o.handshake_timeout = cfg_.handshake_timeout;
  o.close_timeout = stop_close_timeout;
  o.max_message_bytes = 16u << 20;
  o.max_queued_bytes = 4u << 20;
  std::weak_ptr<supervisor_impl> w = weak_from_this();
  const uint64_t gen = gen_;
  kit::ws_client_handlers h;
  h.on_open = [w, gen](const kit::ws_open_info&) {
    post_weak(w, [gen](supervisor_impl& s) { s.on_open(gen); });
  };
  h.on_message = [w, gen](kit::ws_message_kind kind, std::string payload) {
    post_weak(w, [gen, kind, payload = std::move(payload)](supervisor_impl& s) {
      s.on_message(gen, kind, payload);
    });
  };
  h.on_close = [w, gen](const kit::ws_close_info& info) {
    post_weak(w, [gen, info](supervisor_impl& s) { s.on_closed(gen, info); });
  };
  conn_pending_ = true;
  conn_ = kit::ws_connect(rt_, std::move(o), std::move(h));
}

void supervisor_impl::on_open(uint64_t gen) {
  if (stopping_ || gen != gen_ || phase_ != phase::connecting) return;
  phase_ = phase::open;
  ++stats_.opened;
  const int64_t now = now_ms();
  retry_.on_open(now);
  last_inbound_ms_ = now;
  reassembler_.clear();
  log(PB_LOG_INFO, "long connection open (service_id " + std::to_string(service_id_) + ")");
  status(PB_STATE_CONNECTED, "connected", 0, 0);
  alive(PB_LIVENESS_CONNECTED);
  send_ping();
  arm(ping_timer_, ping_interval(), &supervisor_impl::on_ping_timer);
  arm(liveness_timer_, liveness_limit(), &supervisor_impl::on_liveness_timer);
  // What this supervisor holds right after each open: flat across any number of cycles (the
  // integration tests read this line after 100 reconnects).
  publish();
  const ws_counters c = counters();
  log(PB_LOG_DEBUG,
      "ws counters: cycles=" + std::to_string(c.cycles) + " opened=" + std::to_string(c.opened) +
          " live_connections=" + std::to_string(c.live_connections) +
          " kit_connections=" + std::to_string(kit::ws_live_connections()) + " pending_fragments=" +
          std::to_string(c.pending_fragments) + " armed_timers=" + std::to_string(c.armed_timers));
}

void supervisor_impl::on_closed(uint64_t gen, const kit::ws_close_info& info) {
  if (gen != gen_) return;  // one connection at a time: cannot happen
  conn_pending_ = false;
  conn_.reset();
  disarm(ping_timer_);
  disarm(liveness_timer_);
  disarm(fragment_timer_);
  reassembler_.clear();  // incomplete events die with their connection (never acked: re-pushed)
  if (stopping_) return check_stopped();
  std::string reason;
  bool fatal = false;
  if (info.cause == kit::ws_close_cause::handshake_rejected) {
    const auto v = classify_handshake_failure(
        static_cast<int>(info.http_status),
        kit::find_header(info.response_headers, "Handshake-Status"),
        kit::find_header(info.response_headers, "Handshake-Msg"),
        kit::find_header(info.response_headers, "Handshake-Autherrcode"));
    reason = v.reason;
    fatal = v.fatal;
  } else if (!info.opened) {
    reason = "WebSocket connect failed: " +
             (info.error.empty() ? std::string(kit::ws_close_cause_name(info.cause)) : info.error);
  } else if (!death_reason_.empty()) {
    reason = death_reason_;
  } else {
    reason = std::string("connection lost: ") + kit::ws_close_cause_name(info.cause);
    if (info.code != 0) reason += ", close code " + std::to_string(info.code);
    if (!info.error.empty()) reason += " (" + info.error + ")";
  }
  death_reason_.clear();
  cycle_failed(reason, fatal);
}

void supervisor_impl::cycle_failed(const std::string& reason, bool fatal) {
  phase_ = phase::waiting;
  const auto d = retry_.on_failure(fatal, now_ms());
  if (d.was_stable) log(PB_LOG_DEBUG, "the connection had proved stable: backoff reset");
  const int64_t next = hooks_.now_unix_ms() + d.delay.count();
  const std::string when = "; next attempt in " + std::to_string(d.delay.count()) + " ms";
  if (fatal) {
    log(PB_LOG_ERROR, reason + " (fatal: check the app's credentials and status)" + when);
    status(PB_STATE_FAILED, reason, d.attempt, next);
  } else {
    log(PB_LOG_WARN, reason + " (attempt " + std::to_string(d.attempt) + ")" + when);
    status(PB_STATE_RECONNECTING, reason, d.attempt, next);
  }
  arm(retry_timer_, d.delay, &supervisor_impl::start_cycle);
}

void supervisor_impl::check_stopped() {
  if (!stopping_ || stopped_ || discovery_pending_ || conn_pending_) return;
  stopped_ = true;
  phase_ = phase::idle;
  for (auto* t : timers()) disarm(*t);
  reassembler_.clear();
  publish();
  auto self = std::move(keep_alive_);  // released when this returns
  auto dones = std::move(stop_dones_);
  stop_dones_.clear();
  for (auto& d : dones) d();
}

void supervisor_impl::arm(timer_slot& slot, milliseconds delay, void (supervisor_impl::*fn)()) {
  slot.armed = true;
  const uint64_t token = ++slot.token;
  slot.t.after(std::max(delay, milliseconds(0)),
               [w = weak_from_this(), p = &slot, token, fn](bool cancelled) {
                 if (cancelled) return;
                 auto self = w.lock();  // the slot lives as long as self
                 if (!self || p->token != token || !p->armed) return;
                 p->armed = false;
                 ((*self).*fn)();
                 self->publish();
               });
}

void supervisor_impl::disarm(timer_slot& slot) {
  if (!slot.armed) return;
  slot.armed = false;
  ++slot.token;
  slot.t.cancel();
}

void supervisor_impl::log(pb_log_level level, const std::string& text) const {
  if (hooks_.log && !stopped_) hooks_.log(level, text);
}

void supervisor_impl::status(pb_channel_state st, const std::string& reason, uint32_t attempt,
                             int64_t next) {
  if (!hooks_.on_status || stopped_) return;
  try {
    hooks_.on_status(st, reason, attempt, next);
  } catch (const std::exception& e) {
    log(PB_LOG_ERROR, std::string("status hook threw: ") + e.what());
  }
}

}  // namespace ws_detail

std::shared_ptr<ws_supervisor> make_ws_supervisor(kit::io_runtime& rt, kit::strand strand,
                                                  const channel_config& cfg, ws_hooks hooks) {
  return std::make_shared<ws_detail::supervisor_impl>(rt, std::move(strand), cfg, std::move(hooks));
}

}  // namespace patchbay::plugins::feishu_family
