// WebSocket sessions on the kit HTTP server: ws_accept(), and the session an upgraded connection
// turns into (the 101 answer, then the shared engine of ws_engine.hpp). The only translation unit
// that instantiates Beast's server-side WebSocket code.
//
// ws_accept() creates the session's state (ws_upgrade: channel, handlers, the request) and hands
// it to the connection, which passes its stream to start_ws_session() once it is idle (see
// http_connection.cpp). The session registers with the server like any connection, so
// http_server::stop() closes it (1001) and waits for it.
//
// on_close is owed exactly once per ws_accept() that returned a session: by the session at its
// end; by fail_upgrade() when the hand-over cannot happen; by a stop hook when the runtime stops
// first (after the runtime's threads are joined); by the destructor if everything was destroyed
// unfinished with the io_context.
#include "patchbay/kit/ws_server.hpp"

#include "runtime_context.hpp"
#include "text_util.hpp"
#include "ws_engine.hpp"
#include "ws_upgrade.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>

#include <atomic>
#include <type_traits>

namespace patchbay::kit {

namespace server_detail {

using namespace ws_detail;
using detail::iequals;

class ws_upgrade final : public ws_session {
 public:
  ws_upgrade(detail::runtime_context& rc, ws_server_options opt, ws_session_handlers handlers,
             http_request req)
      : ch(std::make_shared<channel>(opt.max_queued_bytes)),
        opt(std::move(opt)),
        rc_(rc),
        handlers_(std::move(handlers)),
        req_(std::move(req)) {}

  ~ws_upgrade() override {
    // Destroyed unsettled only when the io_context went away with everything pending and no stop
    // hook ran. Must not touch the io_context from here.
    if (settled_.exchange(true)) return;
    ch->shut();
    report(runtime_stopped_info(false));
  }

  ws_upgrade(const ws_upgrade&) = delete;
  ws_upgrade& operator=(const ws_upgrade&) = delete;

  // --- ws_session (any thread) ---
  const http_request& request() const override { return req_; }
  bool send_binary(std::string payload) override { return ch->send(true, std::move(payload)); }
  bool send_text(std::string payload) override { return ch->send(false, std::move(payload)); }
  void close(std::uint16_t code, std::string reason) override {
    ch->close(code, std::move(reason));
  }
  void abort() override { ch->abort(); }
  void stall(bool stalled) override { ch->stall(stalled); }

  // Registers the stop hook; false (and settled) when the runtime is already stopping.
  bool arm_stop_hook(const std::shared_ptr<ws_upgrade>& self) {
    hook_ = rc_.on_stop([w = std::weak_ptr<ws_upgrade>(self)] {
      if (auto s = w.lock()) s->settle_runtime_stopped();
    });
    if (hook_ != 0) return true;
    settle_runtime_stopped();
    return false;
  }

  // The session's, on its strand: how to tear it down if the runtime stops first.
  void set_teardown(std::function<void()> fn) { teardown_ = std::move(fn); }

  // --- on the session's strand (or the hand-over's thread before there is one) ---
  void on_open() {
    call_quietly("websocket on_open handler", handlers_.on_open, static_cast<ws_session&>(*this));
  }
  void on_message(ws_message_kind kind, std::string payload) {
    call_quietly("websocket on_message handler", handlers_.on_message,
                 static_cast<ws_session&>(*this), kind, std::move(payload));
  }

  void settle(ws_close_info info) {
    if (settled_.exchange(true)) return;
    rc_.cancel_on_stop(hook_);
    ch->shut();
    teardown_ = nullptr;
    report(std::move(info));
  }

  const std::shared_ptr<channel> ch;
  const ws_server_options opt;

 private:
  static ws_close_info runtime_stopped_info(bool opened) {
    ws_close_info info;
    info.cause = ws_close_cause::runtime_stopped;
    info.error = "runtime stopped";
    info.opened = opened;
    return info;
  }

  void settle_runtime_stopped() {
    if (settled_.exchange(true)) return;  // (the hooks are already taken: nothing to unregister)
    ch->shut();
    if (auto fn = std::move(teardown_)) fn();
    report(runtime_stopped_info(opened_));
  }

  void report(ws_close_info info) {
    auto handlers = std::move(handlers_);  // released when this returns: they may hold the handle
    handlers_ = {};
    call_quietly("websocket on_close handler", handlers.on_close, static_cast<ws_session&>(*this),
                 std::as_const(info));
  }

  friend void fail_upgrade(ws_upgrade& up, const char* why);
  template <class>
  friend class session;

  detail::runtime_context& rc_;
  std::uint64_t hook_ = 0;
  std::atomic<bool> settled_{false};
  bool opened_ = false;
  ws_session_handlers handlers_;
  std::function<void()> teardown_;
  const http_request req_;
};

void fail_upgrade(ws_upgrade& up, const char* why) {
  ws_close_info info;
  info.cause = ws_close_cause::failed;
  info.error = why;
  up.settle(std::move(info));
}

namespace {

// What ws_accept returns: the session, closed when the last copy is dropped.
class session_handle final : public ws_session {
 public:
  explicit session_handle(std::shared_ptr<ws_upgrade> up) : up_(std::move(up)) {}
  ~session_handle() override { up_->close(1000, {}); }
  session_handle(const session_handle&) = delete;
  session_handle& operator=(const session_handle&) = delete;

  const http_request& request() const override { return up_->request(); }
  bool send_binary(std::string payload) override { return up_->send_binary(std::move(payload)); }
  bool send_text(std::string payload) override { return up_->send_text(std::move(payload)); }
  void close(std::uint16_t code, std::string reason) override {
    up_->close(code, std::move(reason));
  }
  void abort() override { up_->abort(); }
  void stall(bool stalled) override { up_->stall(stalled); }

 private:
  std::shared_ptr<ws_upgrade> up_;
};

bool reserved_response_header(std::string_view name) {
  return iequals(name, "upgrade") || iequals(name, "connection") ||
         iequals(name, "sec-websocket-accept") || iequals(name, "sec-websocket-extensions") ||
         iequals(name, "content-length") || iequals(name, "transfer-encoding");
}

}  // namespace

template <class Stream>
class session final : public connection_base {
 public:
  session(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain,
          std::shared_ptr<admission_slot> slot, std::shared_ptr<ws_upgrade> up, Stream stream,
          upgrade_request req)
      : connection_base(std::move(core), std::move(drain), std::move(slot)),
        ex_(beast::get_lowest_layer(stream).get_executor()),
        up_(std::move(up)),
        req_(std::move(req)),
        eng_(ex_, up_->ch, limits(up_->opt), true, std::move(stream)) {}

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start() override {
    auto self = std::static_pointer_cast<session>(shared_from_this());
    const auto ex = ex_;
    up_->set_teardown([w = std::weak_ptr<session>(self)] {
      if (auto s = w.lock()) s->eng_.finish();
    });
    up_->ch->attach([w = std::weak_ptr<session>(self), ex] {
      net::post(ex, [w] {
        if (auto s = w.lock()) s->eng_.on_wake(s);
      });
    });
    net::co_spawn(ex, run(self), [self](const std::exception_ptr& e) {
      if (!e) return;
      ws_close_info info;
      info.error = ws_detail::internal_error_text(e);
      self->eng_.finish();
      self->up_->settle(std::move(info));
    });
  }

  void begin_stop(std::chrono::milliseconds grace) override {
    if (core_->ioc.stopped()) return;
    net::post(ex_, [self = std::static_pointer_cast<session>(shared_from_this()), grace] {
      self->on_server_stop(grace);
    });
  }

  // An HTTP connection's business; none of it reaches a WebSocket session.
  void post_wake() override {}
  void post_response(std::uint64_t, http_response) override {}
  void post_stream(std::uint64_t, std::shared_ptr<stream_impl> s) override {
    if (s) s->peer_gone(false);
  }
  void post_call(std::function<void()> fn) override {
    if (!core_->ioc.stopped()) net::post(ex_, std::move(fn));
  }
  void post_upgrade(std::uint64_t, std::shared_ptr<ws_upgrade> up) override {
    if (up) fail_upgrade(*up, "connection is already a websocket");
  }

 private:
  static engine_limits limits(const ws_server_options& o) {
    return engine_limits{o.max_message_bytes, o.close_timeout, o.idle_timeout, o.keep_alive_pings};
  }

  static net::awaitable<void> run(std::shared_ptr<session> self) {
    auto& eng = self->eng_;
    auto& up = *self->up_;
    ws_close_info info;
    eng.arm(self, up.opt.handshake_timeout, "handshake timeout");
    eng.ws().set_option(websocket::stream_base::decorator([headers = up.opt.response_headers](
                                                              websocket::response_type& res) {
      res.set(beast::http::field::server, "patchbay");
      for (const auto& [name, value] : headers) {
        if (!detail::is_token(name) || detail::has_crlf(value) || reserved_response_header(name))
          continue;
        res.set(name, value);
      }
    }));
    auto [ec] = co_await eng.ws().async_accept(self->req_, use_tuple);
    self->req_ = {};
    if (!ec && eng.torn_down()) ec = net::error::operation_aborted;  // a deadline or abort() won
    if (ec) {
      if (!eng.local_end(info)) {
        info.cause = ws_close_cause::failed;
        info.error = eng.timeout_reason().empty() ? describe_io_error(ec, "handshake")
                                                  : eng.timeout_reason();
      }
    } else {
      eng.disarm();
      up.opened_ = true;
      up.on_open();
      co_await eng.pump(
          self,
          [raw = &up](ws_message_kind kind, std::string payload) {
            raw->on_message(kind, std::move(payload));
          },
          info);
    }
    eng.finish();
    up.settle(std::move(info));
  }

  // Closes with 1001 within `grace`. The 101 may be on the wire already even if its completion has
  // not run yet here, so a session still opening gets the same proper close once open.
  void on_server_stop(std::chrono::milliseconds grace) {
    auto self = std::static_pointer_cast<session>(shared_from_this());
    up_->ch->close(1001, "server shutting down");
    eng_.on_wake(self);
    eng_.limit_close_timeout(self, grace);
  }

  live_count live_{live_sessions};
  net::any_io_executor ex_;  // the connection's strand
  std::shared_ptr<ws_upgrade> up_;
  upgrade_request req_;
  engine<websocket::stream<Stream>> eng_;
};

namespace {

template <class Stream>
void start_session(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain,
                   std::shared_ptr<admission_slot> slot, std::shared_ptr<ws_upgrade> up,
                   Stream stream, upgrade_request req) {
  auto s = std::make_shared<session<Stream>>(core, std::move(drain), std::move(slot), up,
                                             std::move(stream), std::move(req));
  if (!core->adopt(s)) {
    fail_upgrade(*up, "server stopping");
    return;
  }
  s->start();
}

}  // namespace

void start_ws_session(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain,
                      std::shared_ptr<admission_slot> slot, std::shared_ptr<ws_upgrade> up,
                      beast::tcp_stream stream, upgrade_request req) {
  start_session(std::move(core), std::move(drain), std::move(slot), std::move(up),
                std::move(stream), std::move(req));
}

void start_ws_session(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain,
                      std::shared_ptr<admission_slot> slot, std::shared_ptr<ws_upgrade> up,
                      beast::ssl_stream<beast::tcp_stream> stream, upgrade_request req) {
  start_session(std::move(core), std::move(drain), std::move(slot), std::move(up),
                std::move(stream), std::move(req));
}

}  // namespace server_detail

namespace {

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (detail::iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool is_websocket_upgrade(const http_request& req) {
  return req.method == "GET" && has_token(req.header("upgrade"), "websocket") &&
         has_token(req.header("connection"), "upgrade") &&
         !req.header("sec-websocket-key").empty() && req.header("sec-websocket-version") == "13";
}

std::shared_ptr<ws_session> ws_accept(const std::shared_ptr<http_exchange>& exchange,
                                      ws_server_options options, ws_session_handlers handlers) {
  using namespace server_detail;
  if (!exchange) return nullptr;
  if (!is_websocket_upgrade(exchange->request())) {
    exchange->respond(simple_response(400, "not a websocket upgrade"));
    return nullptr;
  }
  std::weak_ptr<connection_base> conn_weak;
  std::weak_ptr<server_core> core_weak;
  std::uint64_t id = 0;
  if (!claim_for_upgrade(*exchange, conn_weak, core_weak, id)) return nullptr;
  const auto core = core_weak.lock();
  if (!core) return nullptr;
  auto up = std::make_shared<ws_upgrade>(core->rc, std::move(options), std::move(handlers),
                                         exchange->request());
  auto handle = std::make_shared<session_handle>(up);
  if (!up->arm_stop_hook(up)) return handle;  // the runtime is stopping: already settled
  if (auto conn = conn_weak.lock()) {
    conn->post_upgrade(id, std::move(up));
  } else {
    core->rc.post_or_on_stop(
        [up = std::move(up)] { fail_upgrade(*up, "connection closed before the upgrade"); });
  }
  return handle;
}

}  // namespace patchbay::kit
