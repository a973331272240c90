// api_client: tenant token, rate limits, HTTP with deadlines, invalid-token retry, bot identity.
#include "feishu_lark/channel/api_client.hpp"

#include <algorithm>
#include <limits>

namespace patchbay::plugins::feishu_family {
namespace {

api_error transport_error(api_op op, const std::string& err) {
  api_error e;
  e.code = PB_ERR_RETRYABLE;
  e.kind = error_kind::transient;
  e.message = std::string(to_string(op)) + ": " +
              (err == "cancelled" ? std::string("cancelled (channel stopping)") : err);
  return e;
}

api_call_result cancelled_result(api_op op) {
  api_call_result r;
  r.error = transport_error(op, "cancelled");
  return r;
}

bool credential_problem(const api_error& e) {
  return e.kind == error_kind::bad_credentials || e.kind == error_kind::app_unavailable;
}

}  // namespace

api_client::api_client(kit::io_runtime& rt, kit::strand strand, const channel_config& cfg,
                       api_client_hooks hooks)
    : rt_(rt),
      strand_(std::move(strand)),
      cfg_(cfg),
      hooks_(std::move(hooks)),
      limiter_(cfg_.limits),
      rate_timer_(rt, strand_),
      identity_backoff_(cfg_.reconnect),
      identity_timer_(rt, strand_) {}

void api_client::log(pb_log_level l, const std::string& s) const {
  if (hooks_.log) hooks_.log(l, s);
}
int64_t api_client::now() const { return hooks_.monotonic_ms ? hooks_.monotonic_ms() : 0; }

void api_client::set_health(bool ok, const std::string& reason) {
  if (ok == healthy_ && ok) return;
  healthy_ = ok;
  if (hooks_.on_health) hooks_.on_health(ok, reason);
}

// ---- HTTP ------------------------------------------------------------------------------------

void api_client::http(api_request r,
                      std::function<void(std::string, kit::http_client_response)> done) {
  kit::http_client_request req;
  req.method = r.method;
  req.url = cfg_.domain + r.target;
  req.headers.emplace_back("Content-Type", r.content_type.empty() ? std::string(json_content_type)
                                                                  : std::move(r.content_type));
  if (r.with_token) req.headers.emplace_back("Authorization", "Bearer " + tokens_.token());
  req.body = std::move(r.body);
  req.retry_safe = r.idempotent;
  set_limits(req, cfg_.ca_file, cfg_.connect_timeout, cfg_.api_timeout,
             r.total_timeout_ms > 0 ? std::chrono::milliseconds(r.total_timeout_ms)
                                    : cfg_.connect_timeout + cfg_.api_timeout);
  if (!r.body_file.empty()) {
    req.body_file = std::move(r.body_file);
    if (r.max_answer_bytes > 0) req.max_body_bytes = r.max_answer_bytes;
  }
  http_.start(rt_, strand_, weak_from_this(), std::move(req), stopped_,
              [w = weak_from_this(), done = std::move(done)](std::string err,
                                                             kit::http_client_response resp) {
                done(std::move(err), std::move(resp));
                auto self = w.lock();
                if (self && self->hooks_.on_idle && self->busy() == 0) self->hooks_.on_idle();
              });
}

void api_client::abort_http() { http_.cancel_all(); }

std::size_t api_client::busy() const {
  return http_.size() + rate_queue_.size() + token_waiters_.size();
}

// ---- tenant token ----------------------------------------------------------------------------

void api_client::with_token(std::function<void(std::optional<api_error>)> fn) {
  const int64_t t = now();
  if (tokens_.usable(t)) {
    // Still good for a while: refresh in the background, use the current one meanwhile.
    if (tokens_.needs_refresh(t) && !token_fetching_) fetch_token();
    return fn(std::nullopt);
  }
  if (token_waiters_.size() >= max_waiting) {
    api_error e;
    e.code = PB_ERR_RETRYABLE;
    e.kind = error_kind::transient;
    e.message = "too many calls waiting for a tenant token";
    return fn(e);
  }
  token_waiters_.push_back(std::move(fn));
  if (!token_fetching_) fetch_token();
}

void api_client::fetch_token() {
  token_fetching_ = true;
  // The body holds the app secret: it goes on the wire only, never into a log.
  http(tenant_token_request(cfg_.app_id, cfg_.app_secret),
       [self = shared_from_this()](const std::string& err, const kit::http_client_response& resp) {
         self->token_fetching_ = false;
         token_result r;
         if (!err.empty())
           r.error = transport_error(api_op::token, err);
         else
           r = parse_tenant_token_response(static_cast<int>(resp.status), resp.body);
         if (r.error.ok()) {
           if (self->hooks_.on_api_ok) self->hooks_.on_api_ok();
           self->tokens_.store(std::move(r.token), r.expire_s, self->now());
           if (self->identity_) self->set_health(true, {});
         } else {
           self->tokens_.fetch_failed(self->now());
           if (!self->stopped_) self->log(PB_LOG_WARN, "tenant token: " + r.error.message);
           if (credential_problem(r.error))
             self->set_health(false, "the app id / secret were refused: " + r.error.message);
         }
         auto waiters = std::move(self->token_waiters_);
         self->token_waiters_.clear();
         for (auto& w : waiters) w(r.error.ok() ? std::nullopt : std::optional(r.error));
       });
}

// ---- calls and rate limits -------------------------------------------------------------------

void api_client::call(api_op op, api_request req, std::string chat_id, api_call_done done) {
  if (stopped_) return done(cancelled_result(op));
  auto p = std::make_shared<pending>(
      pending{op, std::move(req), std::move(chat_id), std::move(done), now(), false});
  admit(std::move(p));
}

void api_client::admit(pending_ptr p) {
  if (!rate_queue_.empty() || pumping_) {
    if (rate_queue_.size() >= max_waiting) {
      api_call_result r;
      r.error.code = PB_ERR_RATE_LIMITED;
      r.error.kind = error_kind::rate_limited;
      r.error.retry_after_ms = 1000;
      r.error.message =
          std::string(to_string(p->op)) + ": too many calls waiting for the rate limit";
      return p->done(std::move(r));
    }
    rate_queue_.push_back(std::move(p));
    if (!pumping_) pump_rate_queue();
    return;
  }
  const int64_t wait = limiter_.acquire(p->chat_id, now());
  if (wait == 0) return send(p);
  rate_queue_.push_back(std::move(p));
  std::weak_ptr<api_client> w = shared_from_this();
  rate_timer_.after(std::chrono::milliseconds(wait), [w](bool cancelled) {
    if (auto self = w.lock(); self && !cancelled) self->pump_rate_queue();
  });
}

void api_client::pump_rate_queue() {
  pumping_ = true;
  const int64_t t = now();
  int64_t min_wait = std::numeric_limits<int64_t>::max();
  std::deque<pending_ptr> keep;
  while (!rate_queue_.empty()) {
    pending_ptr p = std::move(rate_queue_.front());
    rate_queue_.pop_front();
    if (stopped_) {
      p->done(cancelled_result(p->op));
      continue;
    }
    const int64_t wait = limiter_.acquire(p->chat_id, t);
    if (wait == 0) {
      send(p);
      continue;
    }
    if (t - p->queued_at_ms + wait > cfg_.api_timeout.count()) {
      // Waiting any longer would outlast the call's own deadline: let the host retry later.
      api_call_result r;
      r.error.code = PB_ERR_RATE_LIMITED;
      r.error.kind = error_kind::rate_limited;
      r.error.retry_after_ms = wait;
      r.error.message = std::string(to_string(p->op)) + ": paced by the client-side rate limit";
      p->done(std::move(r));
      continue;
    }
    min_wait = std::min(min_wait, wait);
    keep.push_back(std::move(p));
  }
  rate_queue_ = std::move(keep);
  pumping_ = false;
  if (rate_queue_.empty()) return;
  std::weak_ptr<api_client> w = shared_from_this();
  rate_timer_.after(std::chrono::milliseconds(min_wait), [w](bool cancelled) {
    if (auto self = w.lock(); self && !cancelled) self->pump_rate_queue();
  });
}

void api_client::send(const pending_ptr& p) {
  auto go = [self = shared_from_this(), p](std::optional<api_error> token_error) {
    if (token_error) {
      api_call_result r;
      r.error = *token_error;
      return p->done(std::move(r));
    }
    if (self->stopped_) return p->done(cancelled_result(p->op));
    self->http(p->req, [self, p](const std::string& err, kit::http_client_response resp) {
      self->on_answer(p, err, std::move(resp));
    });
  };
  if (!p->req.with_token) return go(std::nullopt);
  with_token(std::move(go));
}

void api_client::on_answer(pending_ptr p, const std::string& err, kit::http_client_response resp) {
  api_call_result r;
  r.http_status = static_cast<int>(resp.status);
  r.ratelimit_reset = std::string(resp.header("x-ogw-ratelimit-reset"));
  r.content_type = std::string(resp.header("Content-Type"));
  r.transport = err;
  if (!err.empty()) {
    r.error = transport_error(p->op, err);
  } else if (!p->req.body_file.empty() && r.http_status / 100 == 2) {
    // The bytes went to the file (media.hpp downloads); the caller checks what it got.
  } else {
    r.error = parse_api_answer(p->op, r.http_status, resp.body, r.ratelimit_reset).error;
    r.body = std::move(resp.body);
  }
  if (r.error.kind == error_kind::token_invalid && p->req.with_token && !p->retried_token &&
      !stopped_) {
    // go-sdk keeps failing until the token expires by itself: drop it, fetch anew, retry once.
    log(PB_LOG_INFO, std::string(to_string(p->op)) + ": the tenant token was refused (code " +
                         std::to_string(r.error.platform_code) +
                         "); fetching a new one and retrying once");
    tokens_.invalidate();
    p->retried_token = true;
    p->queued_at_ms = now();
    return admit(std::move(p));
  }
  if (r.error.kind == error_kind::rate_limited) {
    const int64_t until = now() + (r.error.retry_after_ms > 0 ? r.error.retry_after_ms : 1000);
    if (r.error.platform_code == 230020 && !p->chat_id.empty())
      limiter_.block_chat_until(p->chat_id, until);  // the IM per-chat frequency limit
    else
      limiter_.block_app_until(until);
  }
  if (credential_problem(r.error)) set_health(false, r.error.message);
  if (r.error.ok() && hooks_.on_api_ok) hooks_.on_api_ok();
  p->done(std::move(r));
}

// ---- bot identity ----------------------------------------------------------------------------

void api_client::start_identity() {
  if (identity_started_ || stopped_) return;
  identity_started_ = true;
  fetch_identity();
}

void api_client::schedule_identity(std::chrono::milliseconds delay) {
  std::weak_ptr<api_client> w = shared_from_this();
  identity_timer_.after(delay, [w](bool cancelled) {
    if (auto self = w.lock(); self && !cancelled && !self->stopped_ && !self->no_retries_)
      self->fetch_identity();
  });
}

void api_client::fetch_identity() {
  call(api_op::bot_info, bot_info_request(), {},
       [self = shared_from_this()](const api_call_result& r) {
         if (self->stopped_ || self->no_retries_) return;
         bot_info_result b;
         if (r.error.ok())
           b = parse_bot_info_response(r.http_status, r.body);
         else
           b.error = r.error;
         if (b.error.ok()) {
           if (auto why = bot_inactive_reason(b.bot.activate_status)) {
             self->set_health(false, "the bot cannot work: " + *why);
             self->log(PB_LOG_ERROR, "bot info: " + *why + "; asking again in " +
                                         std::to_string(self->cfg_.fatal_retry.count()) + " ms");
             return self->schedule_identity(self->cfg_.fatal_retry);
           }
           self->identity_ = std::move(b.bot);
           self->identity_backoff_.reset();
           self->log(PB_LOG_INFO, "bot identity: " + self->identity_->app_name + " (" +
                                      self->identity_->open_id + ")");
           self->set_health(true, {});
           if (self->hooks_.on_identity) self->hooks_.on_identity(*self->identity_);
           return;
         }
         const bool fatal = credential_problem(b.error) || b.error.kind == error_kind::permission;
         const auto delay = fatal ? self->cfg_.fatal_retry : self->identity_backoff_.next();
         if (fatal && !credential_problem(b.error))
           self->set_health(false, "bot info refused: " + b.error.message);
         if (!fatal && self->hooks_.on_identity_retry)
           self->hooks_.on_identity_retry("cannot reach the Open API: " + b.error.message,
                                          self->identity_backoff_.failures(), delay);
         self->log(fatal ? PB_LOG_ERROR : PB_LOG_WARN, "bot info: " + b.error.message +
                                                           "; retrying in " +
                                                           std::to_string(delay.count()) + " ms");
         self->schedule_identity(delay);
       });
}

void api_client::stop_retries() {
  no_retries_ = true;
  identity_timer_.cancel();
}

void api_client::cancel_all() {
  stopped_ = true;
  rate_timer_.cancel();
  identity_timer_.cancel();
  auto queued = std::move(rate_queue_);
  rate_queue_.clear();
  for (auto& p : queued) p->done(cancelled_result(p->op));
  abort_http();  // the token fetch among them: its waiters then fail "cancelled"
}

}  // namespace patchbay::plugins::feishu_family
