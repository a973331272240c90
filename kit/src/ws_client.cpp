// The WebSocket client: one coroutine per connection on its own strand. The opening phase
// (resolve + connect under connect_timeout, then TLS and the HTTP upgrade under
// handshake_timeout) is here; carrying messages and closing is the shared engine's
// (ws_engine.hpp). The only translation unit that instantiates Beast's client-side WebSocket code.
//
// on_close is owed exactly once. Besides the normal end, a stop hook settles it when the runtime
// stops first (run by io_runtime::stop() after the runtime's threads are joined, so nothing runs on
// the strand any more), and the destructor settles it if the session is destroyed unfinished (its
// handlers destroyed with the io_context).
#include "patchbay/kit/ws_client.hpp"

#include "patchbay/kit/runtime.hpp"
#include "runtime_context.hpp"
#include "text_util.hpp"
#include "tls.hpp"
#include "url.hpp"
#include "ws_engine.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/string_body.hpp>

#include <vector>

namespace patchbay::kit {

namespace {

using namespace ws_detail;
using tcp = net::ip::tcp;
namespace ssl = net::ssl;

// What ws_connect returns: the channel, and closing on the last drop.
class client_handle final : public ws_connection {
 public:
  explicit client_handle(std::shared_ptr<channel> ch) : ch_(std::move(ch)) {}
  ~client_handle() override { ch_->close(1000, {}); }
  client_handle(const client_handle&) = delete;
  client_handle& operator=(const client_handle&) = delete;

  bool send_binary(std::string payload) override { return ch_->send(true, std::move(payload)); }
  bool send_text(std::string payload) override { return ch_->send(false, std::move(payload)); }
  void close(std::uint16_t code, std::string reason) override {
    ch_->close(code, std::move(reason));
  }
  void abort() override { ch_->abort(); }

 private:
  std::shared_ptr<channel> ch_;
};

// Headers the WebSocket handshake owns; the application's values for them are not sent.
bool reserved_header(std::string_view name) {
  using detail::iequals;
  return iequals(name, "host") || iequals(name, "upgrade") || iequals(name, "connection") ||
         iequals(name, "sec-websocket-key") || iequals(name, "sec-websocket-version") ||
         iequals(name, "sec-websocket-extensions") || iequals(name, "content-length") ||
         iequals(name, "transfer-encoding");
}

template <class Ws>
class client_session : public std::enable_shared_from_this<client_session<Ws>> {
 public:
  static constexpr bool is_tls = !std::is_same_v<Ws, plain_ws>;

  template <class... StreamArgs>
  client_session(net::any_io_executor ex, detail::runtime_context& rc, std::shared_ptr<channel> ch,
                 ws_client_options opt, detail::parsed_url url, ws_client_handlers handlers,
                 std::shared_ptr<ssl::context> tls_ctx, StreamArgs&&... stream_args)
      : rc_(rc),
        opt_(std::move(opt)),
        url_(std::move(url)),
        handlers_(std::move(handlers)),
        tls_ctx_(std::move(tls_ctx)),
        resolver_(ex),
        eng_(ex, std::move(ch), limits(opt_), false, ex, std::forward<StreamArgs>(stream_args)...) {
    eng_.on_teardown([this] { resolver_.cancel(); });
  }

  ~client_session() {
    // Destroyed unfinished: the io_context went away with the connection pending and no stop hook
    // settled it. Must not touch the runtime's io_context from here.
    if (settled_) return;
    ws_close_info info;
    info.cause = ws_close_cause::runtime_stopped;
    info.error = "runtime stopped";
    info.opened = eng_.is_open();
    settled_ = true;
    eng_.chan().shut();
    auto handlers = std::move(handlers_);
    call_quietly("websocket on_close handler", handlers.on_close, std::as_const(info));
  }

  client_session(const client_session&) = delete;
  client_session& operator=(const client_session&) = delete;

  static void start(const std::shared_ptr<client_session>& self) {
    const auto ex = self->resolver_.get_executor();
    self->stop_hook_ = self->rc_.on_stop([w = std::weak_ptr<client_session>(self)] {
      if (auto s = w.lock()) s->settle_runtime_stopped();
    });
    if (self->stop_hook_ == 0) {  // the runtime is already stopping
      self->settle_runtime_stopped();
      return;
    }
    self->eng_.chan().attach([w = std::weak_ptr<client_session>(self), ex] {
      net::post(ex, [w] {
        if (auto s = w.lock()) s->eng_.on_wake(s);
      });
    });
    net::co_spawn(ex, run(self), [self](const std::exception_ptr& e) {
      if (!e || self->settled_) return;
      ws_close_info info;
      info.error = ws_detail::internal_error_text(e);
      self->settle(std::move(info));
    });
  }

 private:
  static engine_limits limits(const ws_client_options& o) {
    return engine_limits{o.max_message_bytes, o.close_timeout, o.idle_timeout, o.keep_alive_pings};
  }

  static net::awaitable<void> run(std::shared_ptr<client_session> self) {
    ws_close_info info;
    ws_open_info open_info;
    if (co_await self->open(info, open_info)) {
      info.opened = true;
      call_quietly("websocket on_open handler", self->handlers_.on_open, std::as_const(open_info));
      co_await self->eng_.pump(
          self,
          [raw = self.get()](ws_message_kind kind, std::string payload) {
            call_quietly("websocket on_message handler", raw->handlers_.on_message, kind,
                         std::move(payload));
          },
          info);
    }
    self->settle(std::move(info));
  }

  // The opening phase. False (with `info` filled) when it failed.
  net::awaitable<bool> open(ws_close_info& info, ws_open_info& open_info) {
    auto self = this->shared_from_this();
    auto fail = [&](std::string error) {
      if (!eng_.local_end(info)) {
        info.cause = ws_close_cause::failed;
        info.error = eng_.timeout_reason().empty() ? std::move(error) : eng_.timeout_reason();
      }
      return false;
    };

    eng_.arm(self, opt_.connect_timeout, "connect timeout");
    std::vector<tcp::endpoint> endpoints;
    const auto port = static_cast<unsigned short>(std::stoul(url_.port));
    if (url_.literal) {
      endpoints.emplace_back(*url_.literal, port);
    } else {
      auto [ec, results] = co_await resolver_.async_resolve(url_.host, url_.port, use_tuple);
      if (ec) co_return fail("resolve failed: " + ec.message());
      for (const auto& r : results) endpoints.push_back(r.endpoint());
      if (endpoints.empty()) co_return fail("resolve failed: no address");
      if (eng_.local_end(info) || !eng_.timeout_reason().empty()) co_return fail({});
    }
    {
      auto [ec, ep] = co_await eng_.lowest().async_connect(endpoints, use_tuple);
      (void)ep;
      if (ec == net::error::connection_refused) co_return fail("connection refused");
      if (ec) co_return fail("connect failed: " + ec.message());
    }
    error_code ignored;
    eng_.lowest().socket().set_option(tcp::no_delay(true), ignored);

    eng_.arm(self, opt_.handshake_timeout, "handshake timeout");
    if constexpr (is_tls) {
      auto& tls = eng_.ws().next_layer();
      if (auto why = detail::prepare_client_tls(tls, url_); !why.empty()) co_return fail(why);
      auto [ec] = co_await tls.async_handshake(ssl::stream_base::client, use_tuple);
      if (ec) co_return fail(detail::tls_error_text(ec, tls.native_handle()));
    }

    eng_.ws().set_option(
        websocket::stream_base::decorator([headers = opt_.headers](websocket::request_type& req) {
          req.set(beast::http::field::user_agent, "patchbay");
          for (const auto& [name, value] : headers) {
            if (!detail::is_token(name) || detail::has_crlf(value) || reserved_header(name))
              continue;
            req.set(name, value);
          }
        }));
    websocket::response_type res;
    auto [ec] = co_await eng_.ws().async_handshake(res, url_.host_header, url_.target, use_tuple);
    if (ec == websocket::error::upgrade_declined && eng_.timeout_reason().empty() &&
        !eng_.local_end(info)) {
      info.cause = ws_close_cause::handshake_rejected;
      info.http_status = res.result_int();
      info.error = "handshake rejected: HTTP " + std::to_string(info.http_status);
      for (const auto& field : res) {
        info.response_headers.emplace_back(std::string(field.name_string()),
                                           std::string(field.value()));
      }
      info.response_body = res.body().substr(0, 4096);
      co_return false;
    }
    if (ec) co_return fail(describe_io_error(ec, "handshake"));
    if (eng_.torn_down()) co_return fail("torn down");  // (the reason is a deadline or close/abort)
    eng_.disarm();
    open_info.status = res.result_int();
    for (const auto& field : res) {
      open_info.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    co_return true;
  }

  // On the strand (or from the destructor / stop hook, when nothing runs on it any more).
  void settle(ws_close_info info) {
    if (settled_) return;
    settled_ = true;
    rc_.cancel_on_stop(stop_hook_);
    finish_and_report(std::move(info));
  }

  void settle_runtime_stopped() {
    if (settled_) return;
    settled_ = true;  // (the hooks are already taken: nothing to unregister)
    ws_close_info info;
    info.cause = ws_close_cause::runtime_stopped;
    info.error = "runtime stopped";
    info.opened = eng_.is_open();
    finish_and_report(std::move(info));
  }

  void finish_and_report(ws_close_info info) {
    eng_.chan().shut();
    eng_.finish();
    auto handlers = std::move(handlers_);  // released when this returns: they may hold the handle
    handlers_ = {};
    call_quietly("websocket on_close handler", handlers.on_close, std::as_const(info));
  }

  live_count live_{live_clients};
  detail::runtime_context& rc_;
  std::uint64_t stop_hook_ = 0;
  const ws_client_options opt_;
  const detail::parsed_url url_;
  ws_client_handlers handlers_;
  std::shared_ptr<ssl::context> tls_ctx_;  // outlives the stream (declared before it)
  tcp::resolver resolver_;
  engine<Ws> eng_;
  bool settled_ = false;
};

// on_close for a connection that never started, exactly once, as http_fetch reports a bad URL.
void report_early(detail::runtime_context& rc, ws_client_handlers& handlers, std::string error) {
  rc.post_or_on_stop([on_close = std::move(handlers.on_close), error = std::move(error)]() mutable {
    ws_close_info info;
    info.cause = ws_close_cause::failed;
    info.error = std::move(error);
    call_quietly("websocket on_close handler", on_close, std::as_const(info));
  });
}

}  // namespace

std::shared_ptr<ws_connection> ws_connect(io_runtime& rt, ws_client_options options,
                                          ws_client_handlers handlers) {
  auto& rc = detail::runtime_context::of(rt);
  auto ch = std::make_shared<channel>(options.max_queued_bytes);
  auto handle = std::make_shared<client_handle>(ch);
  detail::parsed_url url;
  if (std::string why = detail::parse_url(options.url, url, detail::url_family::websocket);
      !why.empty()) {
    ch->shut();
    report_early(rc, handlers, "bad url: " + why);
    return handle;
  }
  const auto ex = net::make_strand(static_cast<net::io_context&>(rc));
  if (!url.tls) {
    auto s = std::make_shared<client_session<plain_ws>>(
        ex, rc, ch, std::move(options), std::move(url), std::move(handlers), nullptr);
    client_session<plain_ws>::start(s);
    return handle;
  }
  std::string ctx_error;
  auto ctx = detail::tls_context(options.ca_file, ctx_error);
  if (!ctx) {
    ch->shut();
    report_early(rc, handlers, "tls: " + ctx_error);
    return handle;
  }
  auto& ctx_ref = *ctx;
  auto s = std::make_shared<client_session<tls_ws>>(ex, rc, ch, std::move(options), std::move(url),
                                                    std::move(handlers), std::move(ctx), ctx_ref);
  client_session<tls_ws>::start(s);
  return handle;
}

}  // namespace patchbay::kit
