// family_channel: composition of one Feishu/Lark channel instance — construction, start (token
// and bot identity first, then the WS supervisor in websocket mode), status, stop and destroy.
// Outbound operations: outbound.cpp; webhook requests: webhook_handler.cpp.
#include "feishu_lark/channel/family_channel.hpp"

#include <stdexcept>

#include "feishu_lark/channel/channel_impl.hpp"
#include "feishu_lark/proto/ws_frames.hpp"

namespace patchbay::plugins::feishu_family {

// ---- the public face: thin forwarding --------------------------------------------------------

family_channel::family_channel(sdk::host h, sdk::create_info info, const brand_defaults& brand)
    : channel(h), impl_(h, parse_config_or_refuse(brand.platform, [&] {
                          return parse_channel_config(info.config_json, brand);
                        })) {
  impl_->init();
}

family_channel::~family_channel() = default;  // runtime_bound: closes the impl, then the runtime

void family_channel::start() { impl_->start(); }
void family_channel::stop(std::chrono::milliseconds deadline, sdk::stop_completion done) {
  impl_->stop(deadline, std::move(done));
}
void family_channel::send(const pb_outbound_message& msg, sdk::completion done) {
  outbound_request r;
  r.chat_id = std::string(sdk::view(msg.conversation_id));
  r.reply_to = std::string(sdk::view(msg.reply_to_message_id));
  r.text = std::string(sdk::view(msg.text));
  r.turn_id = std::string(sdk::view(msg.turn_id));
  r.stream = (msg.flags & PB_SEND_STREAM) != 0;
  if (const pb_outbound_attachment* a = sdk::attachment_of(msg)) {
    outbound_file f;
    f.kind = std::string(sdk::view(a->kind));
    f.name = std::string(sdk::view(a->name));
    f.mime_type = std::string(sdk::view(a->mime_type));
    f.path = std::string(sdk::view(a->path));
    f.size = a->size;
    f.md5_hex = std::string(sdk::view(a->md5_hex));
    r.file = std::move(f);
  }
  impl_->send(std::move(r), std::move(done));
}
void family_channel::fetch_attachment(const pb_fetch_request& req, sdk::completion done) {
  fetch_job j;
  j.chat_id = std::string(sdk::view(req.conversation_id));
  j.message_id = std::string(sdk::view(req.message_id));
  j.attachment_id = std::string(sdk::view(req.attachment_id));
  j.dest_path = std::string(sdk::view(req.dest_path));
  j.max_bytes = req.max_bytes;
  impl_->fetch(std::move(j), std::move(done));
}
void family_channel::edit(const pb_edit_request& req, sdk::completion done) {
  outbound_request r;
  r.chat_id = std::string(sdk::view(req.conversation_id));
  r.message_id = std::string(sdk::view(req.message_id));
  r.text = std::string(sdk::view(req.text));
  r.turn_id = std::string(sdk::view(req.turn_id));
  r.final = sdk::is_final_edit(req);
  impl_->edit(std::move(r), std::move(done));
}
void family_channel::typing(const pb_typing_request& req, sdk::completion done) {
  typing_request r;
  r.chat_id = std::string(sdk::view(req.conversation_id));
  r.message_id = std::string(sdk::typing_message_id(req));
  r.stop = sdk::typing_action(req) == PB_TYPING_STOP;
  impl_->typing(std::move(r), std::move(done));
}
void family_channel::on_http(const sdk::http_request& req, sdk::http_responder respond) {
  impl_->on_http(req, respond);
}

// ---- impl --------------------------------------------------------------------------------------

family_channel::impl::impl(kit::io_runtime& rt, sdk::host h, channel_config cfg)
    : instance_core(rt, h, std::move(cfg)) {}

void family_channel::impl::init() {
  std::weak_ptr<impl> w = shared_from_this();
  auto mono = [w]() -> int64_t {
    auto s = w.lock();
    return s ? s->monotonic_ms() : 0;
  };
  api_client_hooks hooks;
  hooks.log = [w](pb_log_level l, const std::string& t) {
    if (auto s = w.lock()) s->log(l, t);
  };
  hooks.monotonic_ms = mono;
  hooks.on_health = [w](bool ok, const std::string& reason) {
    if (auto s = w.lock()) s->on_health(ok, reason);
  };
  hooks.on_identity = [w](const bot_identity& bot) {
    if (auto s = w.lock()) s->on_identity(bot);
  };
  hooks.on_identity_retry = [w](const std::string& reason, uint32_t attempt,
                                std::chrono::milliseconds delay) {
    auto s = w.lock();
    if (!s || s->stopping_ || s->closed_ || !s->healthy_) return;
    s->report(PB_STATE_RECONNECTING, reason, attempt, s->now_unix_ms() + delay.count());
  };
  hooks.on_idle = [w] {
    if (auto s = w.lock()) s->check_stopped();
  };
  // An API call that worked proves the platform reachable, but sets no deadline: in websocket
  // mode the connection's own window governs; in webhook mode nothing arrives unasked, so a
  // quiet account has no proof to give and is trusted on its state.
  hooks.on_api_ok = [w] {
    if (auto s = w.lock()) s->alive(PB_LIVENESS_API_OK, {});
  };
  api_ = std::make_shared<api_client>(rt_, strand_, cfg_, std::move(hooks));
  inbound_ = std::make_shared<inbound_handler>(strand_, cfg_, host_, mono);
}

void family_channel::impl::report(pb_channel_state state, const std::string& reason,
                                  uint32_t attempt, int64_t next) {
  host_->with([&](const sdk::host& h) { h.report_status(state, reason, attempt, next); });
}

void family_channel::impl::alive(pb_liveness_kind kind, std::chrono::milliseconds window) {
  host_->with([&](const sdk::host& h) { h.report_liveness(kind, window); });
}

void family_channel::impl::start() {
  strand_.post([self = shared_from_this()] {
    if (self->started_ || self->stopping_ || self->closed_) return;
    self->started_ = true;
    self->log(PB_LOG_INFO, self->cfg_.platform + " app " + self->cfg_.app_id + " at " +
                               self->cfg_.domain + ", " + to_string(self->cfg_.mode) + " mode");
    self->report(PB_STATE_STARTING);
    // Token and bot identity first: the identity is what @-mentions of the bot are checked
    // against, and a bad app id / secret shows up here as `failed`, before any WS attempt.
    self->api_->start_identity();
  });
}

void family_channel::impl::on_identity(const bot_identity& bot) {
  inbound_->set_bot_open_id(bot.open_id);
  if (stopping_ || closed_) return;
  if (cfg_.mode == transport_mode::webhook) return report(PB_STATE_CONNECTED);
  start_ws();
}

void family_channel::impl::start_ws() {
  if (ws_) return;
  std::weak_ptr<impl> w = shared_from_this();
  ws_hooks hooks;
  hooks.on_event = [w](const std::string& payload, const ws_ack_fn& ack) {
    auto s = w.lock();
    if (!s) return ack(ack_failed, std::nullopt);
    s->inbound_->handle(payload, std::nullopt,
                        [ack](bool ok) { ack(ok ? ack_ok : ack_failed, std::nullopt); });
  };
  hooks.on_status = [w](pb_channel_state st, const std::string& reason, uint32_t attempt,
                        int64_t next) {
    if (auto s = w.lock()) s->on_ws_status(st, reason, attempt, next);
  };
  hooks.log = [w](pb_log_level l, const std::string& t) {
    if (auto s = w.lock()) s->log(l, t);
  };
  hooks.on_alive = [w](pb_liveness_kind kind, std::chrono::milliseconds window) {
    if (auto s = w.lock()) s->alive(kind, window);
  };
  hooks.now_unix_ms = [w]() -> int64_t {
    auto s = w.lock();
    return s ? s->now_unix_ms() : 0;
  };
  hooks.monotonic_ms = [w]() -> int64_t {
    auto s = w.lock();
    return s ? s->monotonic_ms() : 0;
  };
  ws_ = make_ws_supervisor(rt_, strand_, cfg_, std::move(hooks));
  if (!ws_) {
    log(PB_LOG_ERROR, "the WebSocket transport is not available in this build");
    return report(PB_STATE_FAILED, "WebSocket transport unavailable; use mode: webhook");
  }
  ws_stopped_ = false;
  ws_->start();
}

void family_channel::impl::on_ws_status(pb_channel_state state, const std::string& reason,
                                        uint32_t attempt, int64_t next) {
  last_ws_status_ = ws_status{state, reason, attempt, next};
  // Credentials refused by the Open API outrank what the connection says.
  if (healthy_ && !stopping_) report(state, reason, attempt, next);
}

void family_channel::impl::on_health(bool ok, const std::string& reason) {
  healthy_ = ok;
  if (stopping_ || closed_) return;
  if (!ok) {
    const int64_t next = now_unix_ms() + cfg_.fatal_retry.count();
    log(PB_LOG_ERROR, reason);
    return report(PB_STATE_FAILED, reason, 0, next);
  }
  if (cfg_.mode == transport_mode::webhook) {
    if (api_->identity()) report(PB_STATE_CONNECTED);
  } else if (last_ws_status_) {
    report(last_ws_status_->state, last_ws_status_->reason, last_ws_status_->attempt,
           last_ws_status_->next);
  }
}

void family_channel::impl::stop(std::chrono::milliseconds deadline, sdk::stop_completion done) {
  strand_.post([self = shared_from_this(), deadline, done]() mutable {
    if (self->stopping_) return done();  // a repeated stop: nothing left to do
    self->stopping_ = true;
    self->api_->stop_retries();
    // Calls in flight get until shortly before the host's deadline; then they are cancelled.
    self->stop_.begin(
        self->rt_, self->strand_, deadline, std::move(done), [w = std::weak_ptr(self)] {
          auto s = w.lock();
          if (!s) return;
          s->log(PB_LOG_WARN, "stop deadline near: cancelling the Open API calls still running");
          s->api_->cancel_all();
          s->finish_stop();
        });
    if (self->ws_ && !self->ws_stopped_) {
      self->ws_->stop([w = std::weak_ptr(self)] {
        auto s = w.lock();
        if (!s) return;
        s->strand_.post([s] {
          s->ws_stopped_ = true;
          s->check_stopped();
        });
      });
    }
    self->check_stopped();
  });
}

void family_channel::impl::check_stopped() {
  if (!stopping_ || !stop_.waiting() || !ws_stopped_) return;
  if (api_->busy() != 0) return;
  api_->cancel_all();  // nothing in flight: only marks the client stopped
  finish_stop();
}

void family_channel::impl::finish_stop() {
  stop_.finish([&] { report(PB_STATE_STOPPED); });
}

void family_channel::impl::close() {
  close_core();
  api_->abort_http();
  strand_.post([self = shared_from_this()] {
    self->api_->cancel_all();
    if (self->ws_ && !self->ws_stopped_) {
      self->ws_stopped_ = true;
      self->ws_->stop([] {});
    }
    self->stop_.cancel_timer();
  });
}

}  // namespace patchbay::plugins::feishu_family
