// nyxid_channel: construction, start, the signing keys (OIDC discovery → JWKS, refreshed before
// they expire and on an unknown kid), the HTTP call helper (http_calls.hpp), stop and close.
#include "nyxid_channel.hpp"

#include <algorithm>

#include "nyxid/proto/jwks.hpp"
#include "patchbay/common/backoff.hpp"

namespace patchbay::plugins::nyxid {
namespace {

constexpr std::string_view discovery_path = "/.well-known/openid-configuration";

}  // namespace

nyxid_channel::nyxid_channel(kit::io_runtime& rt, sdk::host h, nyxid_config cfg)
    : instance_core(rt, h, std::move(cfg)),
      jwks_(jwks_cache_config{300'000, cfg_.jwks_refetch_interval_ms, 60'000}),
      oidc_(oidc_cache_config{300'000, cfg_.jwks_refetch_interval_ms}),
      replay_(replay_guard_config{cfg_.replay_window_ms, cfg_.replay_capacity, 256}),
      spent_tokens_(cfg_.spent_token_capacity),
      key_backoff_(common::backoff_policy{std::chrono::milliseconds(2'000), 2.0,
                                          std::chrono::milliseconds(60'000), 0.2}),
      refresh_timer_(rt, strand_) {
  verify_cfg_.issuer = cfg_.issuer;
  verify_cfg_.audience = cfg_.audience;
  verify_cfg_.expected_api_key_id = cfg_.api_key_id;
}

void nyxid_channel::report(pb_channel_state state, const std::string& reason) {
  if (state == reported_state_ && reason == reported_reason_) return;
  reported_state_ = state;
  reported_reason_ = reason;
  host_->with([&](const sdk::host& h) { h.report_status(state, reason); });
}

void nyxid_channel::alive(pb_liveness_kind kind) {
  const auto window = 2 * cfg_.key_refresh + cfg_.keys_timeout;
  host_->with([&](const sdk::host& h) { h.report_liveness(kind, window); });
}

void nyxid_channel::start() {
  strand_.post([self = shared_from_this()] {
    if (self->started_ || self->stopping_) return;
    self->started_ = true;
    self->report(PB_STATE_STARTING);
    self->log(
        PB_LOG_INFO,
        "relay at " + self->cfg_.base_url + "; replies " +
            (self->cfg_.api_key.empty() ? "with reply tokens only" : "with tokens or the api key") +
            "; proactive sends " +
            (self->cfg_.has_proxy() ? "through proxy slug " + self->cfg_.proxy_slug
                                    : std::string("not configured")));
    self->refresh_keys("start");
  });
}

// ---- signing keys -----------------------------------------------------------------------------

void nyxid_channel::refresh_keys(const char* why) {
  if (keys_fetching_ || closed_ || stopping_) return;
  keys_fetching_ = true;
  const int64_t now = now_unix_ms();
  jwks_.begin_fetch(now);
  log(PB_LOG_DEBUG, std::string("fetching signing keys (") + why + ")");
  if (oidc_.fresh(now) || (!oidc_.needs_refresh(now) && oidc_.current()))
    return fetch_jwks(oidc_.current()->jwks_uri);
  if (!oidc_.needs_refresh(now)) return keys_settled(false, "OIDC discovery failed recently");
  call("GET", cfg_.base_url + std::string(discovery_path), {}, {}, cfg_.keys_timeout,
       [self = shared_from_this()](const std::string& err, const kit::http_client_response& resp) {
         const int64_t t = self->now_unix_ms();
         std::optional<oidc_discovery> doc;
         if (err.empty() && resp.status == 200) doc = parse_oidc_discovery(resp.body);
         if (!doc) {
           self->oidc_.on_fetch_failed(t);
           const std::string what = "OIDC discovery failed: " +
                                    (!err.empty()         ? err
                                     : resp.status != 200 ? "HTTP " + std::to_string(resp.status)
                                                          : std::string("unusable document"));
           if (!self->oidc_.current()) return self->keys_settled(false, what);
           self->log(PB_LOG_WARN, what + "; using the previous document");
           return self->fetch_jwks(self->oidc_.current()->jwks_uri);
         }
         if (!self->cfg_.issuer.empty() && doc->issuer != self->cfg_.issuer)
           self->log(PB_LOG_WARN, "the discovery document names issuer " + doc->issuer +
                                      ", the config expects " + self->cfg_.issuer +
                                      "; tokens are checked against the config");
         if (self->cfg_.issuer.empty()) self->verify_cfg_.issuer = doc->issuer;
         std::string uri = doc->jwks_uri;
         self->oidc_.on_fetched(std::move(*doc), t);
         self->fetch_jwks(uri);
       });
}

void nyxid_channel::fetch_jwks(const std::string& jwks_uri) {
  call("GET", jwks_uri, {}, {}, cfg_.keys_timeout,
       [self = shared_from_this()](const std::string& err, const kit::http_client_response& resp) {
         const int64_t t = self->now_unix_ms();
         if (!err.empty() || resp.status != 200) {
           self->jwks_.on_fetch_failed(t);
           return self->keys_settled(
               false,
               "JWKS fetch failed: " + (err.empty() ? "HTTP " + std::to_string(resp.status) : err));
         }
         auto doc = parse_jwks(resp.body);
         const size_t n = doc ? doc->keys.size() : 0;
         self->jwks_.on_fetched(doc ? std::move(doc->keys) : std::vector<public_key>{}, t);
         if (n == 0) return self->keys_settled(false, "the JWKS holds no usable key");
         self->keys_settled(true, std::to_string(n) + " signing key(s) loaded");
       });
}

void nyxid_channel::keys_settled(bool ok, const std::string& why) {
  keys_fetching_ = false;
  if (closed_) return;
  if (ok) {
    key_backoff_.reset();
    if (!keys_ok_) log(PB_LOG_INFO, why);
    keys_ok_ = true;
    if (!stopping_) report(PB_STATE_CONNECTED);
    alive(PB_LIVENESS_API_OK);
    schedule_refresh(cfg_.key_refresh);
  } else {
    jwks_.on_fetch_failed(now_unix_ms());  // idempotent: the fetch is over whichever step failed
    const auto delay = key_backoff_.next();
    const bool usable = jwks_.find("", now_unix_ms()).status != jwks_cache::lookup_status::no_keys;
    keys_ok_ = usable;
    log(PB_LOG_WARN, why + "; retrying in " + std::to_string(delay.count()) + " ms");
    if (!stopping_ && !usable)
      report(PB_STATE_DEGRADED, "cannot load NyxID's signing keys (" + why +
                                    "): callbacks are refused until they load; replies still work");
    schedule_refresh(delay);
  }
  drain_pending();
}

void nyxid_channel::schedule_refresh(std::chrono::milliseconds delay) {
  if (closed_ || stopping_) return;
  refresh_timer_.after(delay, [w = weak_from_this()](bool cancelled) {
    auto self = w.lock();
    if (!cancelled && self) self->refresh_keys("refresh");
  });
}

// ---- HTTP -------------------------------------------------------------------------------------

void nyxid_channel::call(std::string method, std::string url, const std::string& bearer,
                         std::string body, std::chrono::milliseconds total, fetch_done done) {
  kit::http_client_request req;
  req.method = std::move(method);
  req.url = std::move(url);
  if (!bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer);
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("User-Agent", "patchbay-nyxid/" PATCHBAY_PLUGIN_VERSION);
  req.body = std::move(body);
  set_limits(req, cfg_.ca_file, std::min(cfg_.connect_timeout, total), total, total);
  calls_.start(rt_, strand_, weak_from_this(), std::move(req), closed_,
               [w = weak_from_this(), done = std::move(done)](std::string err,
                                                              kit::http_client_response resp) {
                 done(std::move(err), std::move(resp));
                 if (auto self = w.lock()) self->check_stopped();
               });
}

// ---- stop / close -----------------------------------------------------------------------------

void nyxid_channel::stop(std::chrono::milliseconds deadline, sdk::stop_completion done) {
  strand_.post([self = shared_from_this(), deadline, done]() mutable {
    if (self->stopping_) return done();  // a repeated stop: nothing more to wait for
    self->stopping_ = true;
    self->refresh_timer_.cancel();
    for (auto& cb : self->pending_) cb.respond.respond(503, R"({"error":"channel stopping"})");
    self->pending_.clear();
    // Sends in flight get until shortly before the host's deadline, then are cancelled.
    self->stop_.begin(self->rt_, self->strand_, deadline, std::move(done),
                      [w = self->weak_from_this()] {
                        if (auto s = w.lock()) {
                          s->calls_.cancel_all();
                          s->finish_stop();
                        }
                      });
    self->check_stopped();
  });
}

void nyxid_channel::check_stopped() {
  if (!stopping_ || !stop_.waiting()) return;
  if (!calls_.empty()) return;  // sends, edits and key fetches end by their own deadlines
  finish_stop();
}

void nyxid_channel::finish_stop() {
  stop_.finish([&] { report(PB_STATE_STOPPED); });
}

void nyxid_channel::close() {
  close_core();
  refresh_timer_.cancel();
  calls_.cancel_all();
  strand_.post([self = shared_from_this()] {
    for (auto& cb : self->pending_) cb.respond.respond(503, R"({"error":"channel stopped"})");
    self->pending_.clear();
  });
}

}  // namespace patchbay::plugins::nyxid
