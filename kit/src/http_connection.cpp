// The HTTP/1.1 server's connections, their life: one coroutine per connection on the connection's
// own strand (serve one request after another: read it, hand it to the handler, write the answer
// or run the stream; keep-alive, stop, close), over plain TCP or TLS. A WebSocket upgrade hands
// the stream over to ws_server.cpp (ws_upgrade.hpp). Reading and writing are in
// http_connection_read.cpp and http_connection_write.cpp; see http_connection.hpp.
#include "http_connection.hpp"

#include "diagnostics_detail.hpp"
#include "ws_upgrade.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/stream_base.hpp>

#include <utility>

namespace patchbay::kit::server_detail {

template <class Stream>
http_connection<Stream>::~http_connection() {
  // Torn down without close_now() only when the runtime is destroyed with this connection still
  // pending: no user callback from here (a pending upgrade is settled by its own stop hook).
  if (stream_out_) stream_out_->peer_gone(false);
}

template <class Stream>
void http_connection<Stream>::start() {
  const auto ex = ex_;
  net::co_spawn(ex, run(self()), [](std::exception_ptr e) {
    detail::report_exception("http connection", std::move(e));
  });
}

template <class Stream>
void http_connection<Stream>::begin_stop(std::chrono::milliseconds grace) {
  net::post(ex_, [self = self(), grace] { self->on_stop(grace); });
}

template <class Stream>
void http_connection<Stream>::post_wake() {
  post([w = weak()] {
    if (auto c = w.lock()) c->wake();
  });
}

template <class Stream>
void http_connection<Stream>::post_response(std::uint64_t id, http_response r) {
  post([w = weak(), id, r = std::move(r)]() mutable {
    if (auto c = w.lock()) c->on_response(id, std::move(r));
  });
}

template <class Stream>
void http_connection<Stream>::post_stream(std::uint64_t id, std::shared_ptr<stream_impl> s) {
  post([w = weak(), id, s = std::move(s)]() mutable {
    if (auto c = w.lock()) c->on_stream(id, std::move(s));
  });
}

template <class Stream>
void http_connection<Stream>::post_call(std::function<void()> fn) {
  post(std::move(fn));
}

template <class Stream>
void http_connection<Stream>::post_upgrade(std::uint64_t id, std::shared_ptr<ws_upgrade> up) {
  post([w = weak(), id, up = std::move(up)]() mutable {
    if (auto c = w.lock()) {
      c->on_upgrade(id, std::move(up));
    } else {
      fail_upgrade(*up, "connection closed before the upgrade");
    }
  });
}

// --- on the strand ---

template <class Stream>
void http_connection<Stream>::on_response(std::uint64_t id, http_response r) {
  if (closed_ || id != request_id_ || phase_ != phase::handling || response_ || stream_out_) return;
  response_ = std::move(r);
  wake();
}

template <class Stream>
void http_connection<Stream>::on_upgrade(std::uint64_t id, std::shared_ptr<ws_upgrade> up) {
  if (closed_ || stopping_ || id != request_id_ || phase_ != phase::handling || response_ ||
      stream_out_ || upgrade_) {
    fail_upgrade(*up, "connection closed before the upgrade");
    return;
  }
  upgrade_ = std::move(up);
  wake();
}

template <class Stream>
void http_connection<Stream>::on_stream(std::uint64_t id, std::shared_ptr<stream_impl> s) {
  if (closed_ || id != request_id_ || phase_ != phase::handling || response_ || stream_out_) {
    s->peer_gone();
    return;
  }
  stream_out_ = std::move(s);
  wake();
}

template <class Stream>
net::awaitable<void> http_connection<Stream>::run(std::shared_ptr<http_connection> self) {
  try {
    co_await self->serve();
  } catch (const std::exception&) {
    detail::report_exception("http connection " + self->remote_ + " failed",
                             std::current_exception(), diagnostic_level::warning);
  }
  self->close_now();
}

template <class Stream>
net::awaitable<void> http_connection<Stream>::wait_signal() {
  signal_.expires_at(net::steady_timer::time_point::max());
  co_await signal_.async_wait(use_tuple);
}

template <class Stream>
void http_connection<Stream>::on_stop(std::chrono::milliseconds grace) {
  if (closed_ || stopping_) return;
  stopping_ = true;
  if (phase_ == phase::idle) {
    close_now();
    return;
  }
  grace_timer_.expires_after(grace);
  grace_timer_.async_wait([self = self()](const error_code& ec) {
    if (!ec) self->close_now();
  });
}

template <class Stream>
void http_connection<Stream>::close_now() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
  lowest().close();
  if (upgrade_)
    fail_upgrade(*std::exchange(upgrade_, nullptr), "connection closed before the upgrade");
  signal_.cancel();
  grace_timer_.cancel();
  if (stream_out_) stream_out_->peer_gone();
}

// One request after another on the connection until it closes, stops or is upgraded. A reserve
// connection serves one request only.
template <class Stream>
net::awaitable<void> http_connection<Stream>::serve() {
  if constexpr (is_tls) {
    if (!co_await handshake()) co_return;
  }
  bool first = true;
  for (;;) {
    if (closed_ || stopping_) co_return;
    if (!co_await wait_for_request(first)) co_return;
    first = false;
    phase_ = phase::reading;

    request_parser parser;
    http_request req;
    body_reservation body(core_->bodies);
    if (!co_await read_request(parser, req, body)) co_return;
    lowest().expires_never();

    auto& msg = parser.get();
    const bool keep_alive = msg.keep_alive() && !in_reserve();
    const unsigned version = msg.version();
    const bool head = msg.method() == http::verb::head;
    req.body = std::move(msg.body());
    dispatch(std::move(req), std::move(body));

    while (!closed_ && !response_ && !stream_out_ && !upgrade_) co_await wait_signal();
    if (closed_) co_return;
    if (upgrade_) {
      hand_over_to_websocket(parser);
      co_return;
    }
    if (!co_await send_answer(version, keep_alive, head)) co_return;
  }
}

template <class Stream>
net::awaitable<bool> http_connection<Stream>::handshake() {
  if constexpr (is_tls) {
    lowest().expires_after(header_timeout());
    auto [ec] = co_await stream_.async_handshake(net::ssl::stream_base::server, use_tuple);
    co_return !closed_ && !ec;
  } else {
    co_return true;
  }
}

// Hands the request to the application's handler (a 503 once the http_server object is gone).
// The answer arrives later on the strand: on_response, on_stream or on_upgrade.
template <class Stream>
void http_connection<Stream>::dispatch(http_request req, body_reservation body) {
  phase_ = phase::handling;
  response_.reset();
  stream_out_.reset();
  const std::uint64_t id = ++request_id_;
  auto ex = make_exchange(weak_from_this(), core_, id, std::move(req),
                          core_->opt.max_stream_buffer_bytes, std::move(body));
  if (core_->destroyed.load()) {
    ex->respond(simple_response(503, "server shutting down"));
  } else {
    try {
      core_->handler(ex);
    } catch (...) {
      detail::report_callback_exception("http handler", std::current_exception());
    }
  }
  // Dropping our reference: if nobody else holds the exchange, it answers 500.
}

template <class Stream>
void http_connection<Stream>::hand_over_to_websocket(request_parser& parser) {
  // The client must wait for our 101 before sending frames (RFC 6455 section 4.1), so nothing
  // may be buffered beyond the request.
  auto up = std::exchange(upgrade_, nullptr);
  if (buf_.size() != 0) {
    fail_upgrade(*up, "data after the upgrade request");
    return;
  }
  phase_ = phase::writing;
  closed_ = true;  // the socket is the WebSocket session's from here on
  start_ws_session(core_, drain_, slot_, std::move(up), std::move(stream_), parser.release());
}

template class http_connection<beast::tcp_stream>;
template class http_connection<tls_stream>;

connection_base::~connection_base() {
  std::lock_guard lock(core_->mtx);
  core_->conns.erase(this);
}

std::shared_ptr<connection_base> make_connection(std::shared_ptr<server_core> core,
                                                 std::shared_ptr<drain_token> drain,
                                                 std::shared_ptr<admission_slot> slot,
                                                 tcp::socket sock, std::string remote) {
  if (core->tls) {
    tls_stream stream(beast::tcp_stream(std::move(sock)), *core->tls);
    return std::make_shared<http_connection<tls_stream>>(
        std::move(core), std::move(drain), std::move(slot), std::move(stream), std::move(remote));
  }
  return std::make_shared<http_connection<beast::tcp_stream>>(
      std::move(core), std::move(drain), std::move(slot), beast::tcp_stream(std::move(sock)),
      std::move(remote));
}

}  // namespace patchbay::kit::server_detail
