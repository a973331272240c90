// weixin_account: start, the long-poll loop with its session guard, inbound hand-over, stop.
#include "weixin_account.hpp"

#include <algorithm>
#include <random>

namespace patchbay::weixin {
namespace {

constexpr std::string_view cursor_key = "get_updates_buf";
// The long poll's first-byte deadline sits slightly above the hold time the server announced:
// a fifth more, between 0.5 s and 5 s.
std::chrono::milliseconds poll_margin(std::chrono::milliseconds hold) {
  return std::clamp<std::chrono::milliseconds>(hold / 5, std::chrono::milliseconds(500),
                                               std::chrono::milliseconds(5'000));
}

}  // namespace

weixin_account::weixin_account(kit::io_runtime& rt, sdk::host h, weixin_config cfg)
    : instance_core(rt, h, std::move(cfg)),
      guard_(cfg_.guard),
      timer_(rt, strand_),
      poll_timeout_(cfg_.longpolling_timeout),
      seen_(cfg_.dedup_capacity),
      context_tokens_(cfg_.context_token_capacity),
      tickets_(cfg_.context_token_capacity),
      rng_(std::random_device{}() | (uint64_t{std::random_device{}()} << 32)) {}

weixin_account::~weixin_account() = default;

void weixin_account::start() {
  strand_.post([self = shared_from_this()] {
    if (self->started_ || self->stopping_) return;
    self->started_ = true;
    self->load_state();
    self->host_->with([](const sdk::host& h) { h.report_status(PB_STATE_STARTING); });
    // As the reference client: notifyStart before the first poll (its outcome is only logged).
    self->notify_start(true);
  });
}

void weixin_account::load_state() {
  host_->with([&](const sdk::host& h) {
    try {
      if (auto v = h.kv_get(cursor_key)) cursor_ = *v;
    } catch (const std::exception& e) {
      h.warn(std::string("cannot read the saved cursor: ") + e.what() + "; starting from none");
    }
  });
  log(PB_LOG_INFO, "account " + (cfg_.account_id.empty() ? "(unnamed)" : cfg_.account_id) +
                       ": starting long poll at " + cfg_.base_url +
                       (cursor_.empty() ? " without a saved cursor" : " from the saved cursor"));
}

void weixin_account::notify_start(bool at_start) {
  if (stopping_) return;
  rest(path::notifystart, notify_body(cfg_.identity), cfg_.notify_start_timeout,
       [self = shared_from_this(), at_start](const std::string& err,
                                             const kit::http_client_response& resp) {
         if (self->stopping_) return self->check_stopped();
         generic_response out;
         auto failure = classify_rest("notifyStart", err, resp.status, resp.body, out);
         const int64_t now = self->monotonic_ms();
         if (!failure) self->alive(PB_LIVENESS_API_OK);
         if (at_start) {
           if (failure) {
             self->log(PB_LOG_WARN, failure->message + " (at start; polling anyway)");
           } else {
             // The server accepted the token; an idle long poll may not answer for a while.
             self->reported_state_ = PB_STATE_CONNECTED;
             self->host_->with([](const sdk::host& h) { h.report_status(PB_STATE_CONNECTED); });
           }
           return self->poll();
         }
         if (failure) {
           auto d = self->guard_.on_notify_failed(now);
           self->log(PB_LOG_WARN, failure->message + "; next notifyStart in " +
                                      std::to_string(d.delay.count()) + " ms");
           return self->apply(d);
         }
         self->log(PB_LOG_INFO, "notifyStart accepted; resuming the long poll");
         self->apply(self->guard_.on_notify_ok(now));
       });
}

void weixin_account::poll() {
  if (stopping_ || closed_) return;
  kit::http_client_request req;
  req.method = "POST";
  req.url = cfg_.base_url + std::string(path::getupdates);
  for (auto& h : post_headers(cfg_.identity, cfg_.bot_token, random32())) req.headers.push_back(h);
  req.body = getupdates_body(cfg_.identity, cursor_);
  req.ca_file = cfg_.ca_file;
  req.connect_timeout = cfg_.connect_timeout;
  req.first_byte_timeout = poll_timeout_ + poll_margin(poll_timeout_);
  req.idle_timeout = std::chrono::seconds(30);
  req.total_timeout = req.first_byte_timeout + std::chrono::seconds(30);
  req.max_body_bytes = 16 << 20;
  req.reuse_connection = false;  // a long poll: a connection of its own, not a pooled one
  poll_cancel_ = std::make_shared<kit::http_cancel>();
  req.cancel = poll_cancel_;
  std::weak_ptr<weixin_account> w = shared_from_this();
  kit::http_fetch(rt_, std::move(req), [w](std::string err, kit::http_client_response resp) {
    auto self = w.lock();
    if (!self) return;
    self->strand_.post([self, err = std::move(err), resp = std::move(resp)] {
      self->poll_cancel_.reset();
      self->on_poll_done(err, resp);
    });
  });
}

void weixin_account::on_poll_done(const std::string& error, const kit::http_client_response& resp) {
  if (stopping_ || closed_) return check_stopped();
  const int64_t now = monotonic_ms();
  std::string failure;
  if (error == "first byte timeout") {
    // The server held longer than it said: an empty poll, not an error (§2.4).
    log(PB_LOG_DEBUG, "long poll: no answer within the deadline; polling again");
    return apply(guard_.on_poll_ok(now));
  }
  if (!error.empty()) {
    failure = error;
  } else if (resp.status < 200 || resp.status >= 300) {
    failure = "HTTP " + std::to_string(resp.status);
  } else {
    std::string perr;
    auto r = parse_getupdates(resp.body, perr);
    if (!r) {
      failure = "unusable answer: " + perr;
    } else if (r->status.session_expired()) {
      auto d = guard_.on_session_expired(now);
      log(PB_LOG_WARN, "getupdates: session expired (" + r->status.describe() +
                           "); long poll paused, notifyStart " +
                           (d.delay.count() ? "in " + std::to_string(d.delay.count()) + " ms"
                                            : std::string("now")) +
                           " (sends are not paused)");
      return apply(d);
    } else if (!r->status.ok()) {
      failure = r->status.describe();
    } else {
      if (r->longpolling_timeout_ms > 0)
        poll_timeout_ = std::chrono::milliseconds(
            std::clamp<int64_t>(r->longpolling_timeout_ms, 1'000, 600'000));
      guard_.on_poll_ok(now);
      alive(PB_LIVENESS_POLL);
      report_health(std::chrono::milliseconds(0));
      return handle_messages(std::move(*r));
    }
  }
  auto d = guard_.on_poll_failed(now);
  log(PB_LOG_WARN,
      "getupdates failed: " + failure + "; retrying in " + std::to_string(d.delay.count()) + " ms");
  apply(d);
}

void weixin_account::handle_messages(updates_response r) {
  batch_cursor_ = r.cursor;
  batch_refused_ = false;
  batch_overload_only_ = true;
  batch_retry_after_ms_ = 0;
  batch_pending_ = 1;  // released below, after every emit is issued
  std::weak_ptr<weixin_account> w = shared_from_this();
  for (auto& m : r.msgs) {
    // The bot's own message echoed back, or one still being generated: never answer it. Skipped
    // messages are acknowledged with the batch (the cursor advances past them).
    if (m.message_type == 2 || m.message_state == 1) {
      ++skipped_;
      log(PB_LOG_DEBUG,
          std::string("skipping a ") + (m.message_type == 2 ? "bot-authored" : "still generating") +
              " message " + m.dedup_key + " (" + std::to_string(skipped_) + " skipped so far)");
      continue;
    }
    if (seen_.contains(m.dedup_key)) {
      log(PB_LOG_INFO, "duplicate delivery of message " + m.dedup_key + " ignored");
      continue;
    }
    seen_.put(m.dedup_key, true);
    if (!m.context_token.empty()) remember_context_token(m.from_user, m.context_token);
    pb_inbound_message msg{};
    msg.event_id = sdk::str(m.dedup_key);
    msg.conversation_id = sdk::str(m.from_user);
    msg.conversation_kind = PB_CONVERSATION_DIRECT;
    msg.message_id = sdk::str(m.message_id);
    msg.sender_id = sdk::str(m.from_user);
    msg.text = sdk::str(m.text);
    msg.reply_context = sdk::str(m.context_token);
    msg.sent_at_unix_ms = m.create_time_ms;
    msg.raw_json = sdk::str(m.raw_json);
    // Every non-text item (ilink_media.hpp read_attachments); the strings stay in `m` until
    // emit_inbound returned.
    std::vector<pb_attachment> atts(m.attachments.size());
    std::vector<const pb_attachment*> att_ptrs;
    for (std::size_t i = 0; i < atts.size(); ++i) {
      const inbound_attachment& a = m.attachments[i];
      atts[i] =
          pb_attachment{sizeof(pb_attachment), sdk::str(a.kind), sdk::str(a.id), sdk::str(a.name),
                        sdk::str(a.mime_type), a.size,           pb_str{}};
      att_ptrs.push_back(&atts[i]);
    }
    msg.attachments = att_ptrs.data();
    msg.attachment_count = static_cast<uint32_t>(att_ptrs.size());
    ++batch_pending_;
    bool emitted = false;
    host_->with([&](const sdk::host& h) {
      h.emit_inbound(msg, [w, key = m.dedup_key](pb_inbound_disposition d, const pb_error* e) {
        std::string why = e ? std::string(sdk::view(e->message)) : std::string();
        const bool overload = e != nullptr && e->code == PB_ERR_RATE_LIMITED;
        const int64_t retry_after = e != nullptr ? e->retry_after_ms : 0;
        auto self = w.lock();
        if (!self) return;
        self->strand_.post([self, d, key, why, overload, retry_after] {
          if (d == PB_INBOUND_REFUSED) {
            self->batch_refused_ = true;
            self->seen_.erase(key);  // let the redelivery through
            if (overload) {  // the host logs its overload once per interval, not per message
              self->batch_retry_after_ms_ = std::max(self->batch_retry_after_ms_, retry_after);
            } else {
              self->batch_overload_only_ = false;
            }
            self->log(overload ? PB_LOG_DEBUG : PB_LOG_WARN,
                      std::string("host refused message ").append(key).append(": ").append(why));
          }
          if (--self->batch_pending_ == 0)
            self->on_batch_emitted(self->batch_cursor_, self->batch_refused_);
        });
      });
      emitted = true;
    });
    if (!emitted) --batch_pending_;
  }
  if (--batch_pending_ == 0) on_batch_emitted(batch_cursor_, batch_refused_);
}

void weixin_account::on_batch_emitted(const std::string& new_cursor, bool refused) {
  if (closed_) return;
  if (refused) {
    // Keep the old cursor: iLink redelivers what the host could not take.
    if (stopping_) return check_stopped();
    if (batch_overload_only_) {
      // The host is overloaded, the poll is healthy: fetch the batch again once the host said it
      // may have room (bounded; 1 s when it did not say).
      constexpr int64_t max_wait_ms = 30'000;
      const int64_t wait =
          batch_retry_after_ms_ > 0 ? std::min(batch_retry_after_ms_, max_wait_ms) : 1'000;
      log(PB_LOG_DEBUG,
          "host overloaded: keeping the cursor; polling again in " + std::to_string(wait) + " ms");
      timer_.after(std::chrono::milliseconds(wait), [self = shared_from_this()](bool cancelled) {
        if (!cancelled && !self->stopping_ && !self->closed_) self->poll();
      });
      return;
    }
    auto d = guard_.on_poll_failed(monotonic_ms());
    log(PB_LOG_WARN,
        "keeping the cursor; polling again in " + std::to_string(d.delay.count()) + " ms");
    return apply(d);
  }
  if (new_cursor.empty() || new_cursor == cursor_) {
    if (stopping_) return check_stopped();
    return poll();
  }
  cursor_ = new_cursor;
  std::weak_ptr<weixin_account> w = shared_from_this();
  bool written = false;
  host_->with([&](const sdk::host& h) {
    h.kv_set(cursor_key, cursor_, [w](const pb_error* e) {
      std::string why = e ? std::string(sdk::view(e->message)) : std::string();
      auto self = w.lock();
      if (!self) return;
      self->strand_.post([self, why] {
        if (!why.empty())
          self->log(PB_LOG_WARN, "cursor not saved (" + why + "); a restart may redeliver");
        if (self->stopping_) return self->check_stopped();
        self->poll();
      });
    });
    written = true;
  });
  if (!written) return;
}

void weixin_account::apply(session_guard::decision d) {
  report_health(d.delay);
  if (stopping_ || closed_) return check_stopped();
  auto run = [self = shared_from_this(), step = d.next] {
    if (self->stopping_ || self->closed_) return;
    if (step == session_guard::step::notify_start)
      self->notify_start(false);
    else
      self->poll();
  };
  if (d.delay.count() == 0) return run();
  timer_.after(d.delay, [run](bool cancelled) {
    if (!cancelled) run();
  });
}

void weixin_account::alive(pb_liveness_kind kind) {
  const auto window = 2 * poll_timeout_ + poll_margin(poll_timeout_);
  host_->with([&](const sdk::host& h) { h.report_liveness(kind, window); });
}

void weixin_account::report_health(std::chrono::milliseconds next_delay) {
  const int64_t now = monotonic_ms();
  const auto h = guard_.state(now);
  int32_t state = PB_STATE_CONNECTED;
  if (h == session_guard::health::reconnecting || h == session_guard::health::recovering)
    state = PB_STATE_RECONNECTING;
  if (h == session_guard::health::relogin_needed) state = PB_STATE_DEGRADED;
  const std::string reason = guard_.reason(now);
  if (h == session_guard::health::relogin_needed && !relogin_logged_) {
    relogin_logged_ = true;
    log(PB_LOG_ERROR, guard_.reason(now));
  }
  if (h != session_guard::health::relogin_needed) relogin_logged_ = false;
  if (state == reported_state_ && guard_.attempt() == reported_attempt_ &&
      reason == reported_reason_)
    return;
  reported_state_ = state;
  reported_attempt_ = guard_.attempt();
  reported_reason_ = reason;
  const int64_t next = next_delay.count() > 0 ? now_unix_ms() + next_delay.count() : 0;
  const uint32_t attempt = state == PB_STATE_CONNECTED ? 0 : guard_.attempt();
  host_->with([&](const sdk::host& h2) {
    h2.report_status(static_cast<pb_channel_state>(state), reason, attempt, next);
  });
}

void weixin_account::stop(std::chrono::milliseconds deadline, sdk::stop_completion done) {
  strand_.post([self = shared_from_this(), deadline, done]() mutable {
    if (self->stop_requested_) return done();  // a repeated stop: nothing left to do
    self->stop_requested_ = true;
    self->stopping_ = true;
    self->timer_.cancel();
    if (self->poll_cancel_) {
      self->log(PB_LOG_INFO, "stopping: cancelling the long poll");
      self->poll_cancel_->cancel();
    }
    // Never wait past the host's deadline: settle what is left shortly before it.
    self->stop_.begin(self->rt_, self->strand_, deadline, std::move(done),
                      [w = std::weak_ptr(self)] {
                        if (auto s = w.lock()) {
                          s->rest_calls_.cancel_all();
                          s->finish_stop();
                        }
                      });
    if (!self->started_) return self->check_stopped();
    self->notify_stop_pending_ = true;
    const auto timeout = std::min(self->cfg_.notify_stop_timeout, deadline / 2);
    self->rest(path::notifystop, notify_body(self->cfg_.identity),
               std::max(timeout, std::chrono::milliseconds(1)),
               [self](const std::string& err, const kit::http_client_response& resp) {
                 generic_response out;
                 if (auto f = classify_rest("notifyStop", err, resp.status, resp.body, out))
                   self->log(PB_LOG_WARN, f->message);
                 self->notify_stop_pending_ = false;
                 self->rest_calls_.cancel_all();  // sends still running had their chance
                 self->check_stopped();
               });
  });
}

void weixin_account::check_stopped() {
  if (!stopping_ || !stop_.waiting()) return;
  if (poll_cancel_ || notify_stop_pending_) return;
  if (!rest_calls_.empty()) return;
  finish_stop();
}

void weixin_account::finish_stop() {
  stop_.finish([&] { host_->with([](const sdk::host& h) { h.report_status(PB_STATE_STOPPED); }); });
}

void weixin_account::close() {
  close_core();
  timer_.cancel();
  rest_calls_.cancel_all();
  // The poll handle is strand state; cancelling through a copy is thread-safe.
  strand_.post([self = shared_from_this()] {
    if (self->poll_cancel_) self->poll_cancel_->cancel();
  });
}

}  // namespace patchbay::weixin
