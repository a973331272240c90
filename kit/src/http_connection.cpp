// The HTTP/1.1 server's connections: one coroutine per connection, on the connection's own strand
// (read the request, hand it to the handler, write the answer or run the stream, keep-alive, stop),
// over plain TCP or TLS (one class template, two instantiations). A WebSocket upgrade hands the
// stream over to ws_server.cpp (ws_upgrade.hpp). The only server translation unit that includes
// Beast's HTTP code; see http_server_detail.hpp.
#include "diagnostics_detail.hpp"
#include "http_server_detail.hpp"
#include "text_util.hpp"
#include "ws_upgrade.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <type_traits>
#include <utility>

namespace patchbay::kit::server_detail {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using error_code = boost::system::error_code;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

using detail::has_crlf;
using detail::iequals;
using detail::is_token;

// Headers the server manages itself; a handler's values for them are ignored (and Content-Type
// too when the response's content_type field is set).
bool reserved_header(std::string_view name) noexcept {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection");
}

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class connection final : public connection_base {
 public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  connection(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain, Stream stream,
             std::string remote)
      : connection_base(std::move(core), std::move(drain)),
        ex_(beast::get_lowest_layer(stream).get_executor()),
        stream_(std::move(stream)),
        signal_(ex_),
        grace_timer_(ex_),
        remote_(std::move(remote)) {}

  ~connection() override {
    // Torn down without close_now() only when the runtime is destroyed with this connection still
    // pending: no user callback from here (a pending upgrade is settled by its own stop hook).
    if (stream_out_) stream_out_->peer_gone(false);
  }

  void start() override {
    const auto ex = ex_;
    net::co_spawn(ex, run(self()), [](std::exception_ptr e) {
      detail::report_exception("http connection", std::move(e));
    });
  }

  void begin_stop(std::chrono::milliseconds grace) override {
    net::post(ex_, [self = self(), grace] { self->on_stop(grace); });
  }

  void post_wake() override {
    post([w = weak()] {
      if (auto c = w.lock()) c->wake();
    });
  }

  void post_response(std::uint64_t id, http_response r) override {
    post([w = weak(), id, r = std::move(r)]() mutable {
      if (auto c = w.lock()) c->on_response(id, std::move(r));
    });
  }

  void post_stream(std::uint64_t id, std::shared_ptr<stream_impl> s) override {
    post([w = weak(), id, s = std::move(s)]() mutable {
      if (auto c = w.lock()) c->on_stream(id, std::move(s));
    });
  }

  void post_call(std::function<void()> fn) override { post(std::move(fn)); }

  void post_upgrade(std::uint64_t id, std::shared_ptr<ws_upgrade> up) override {
    post([w = weak(), id, up = std::move(up)]() mutable {
      if (auto c = w.lock()) {
        c->on_upgrade(id, std::move(up));
      } else {
        fail_upgrade(*up, "connection closed before the upgrade");
      }
    });
  }

 private:
  enum class phase { idle, reading, handling, writing, streaming };

  std::shared_ptr<connection> self() {
    return std::static_pointer_cast<connection>(shared_from_this());
  }
  std::weak_ptr<connection> weak() { return self(); }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // Any thread: runs `fn` on this connection's strand, unless the runtime is stopping.
  template <class Fn>
  void post(Fn&& fn) {
    if (core_->ioc.stopped()) return;
    net::post(ex_, std::forward<Fn>(fn));
  }

  // --- on the strand ---
  void wake() { signal_.cancel(); }

  void on_response(std::uint64_t id, http_response r) {
    if (closed_ || id != request_id_ || phase_ != phase::handling || response_ || stream_out_)
      return;
    response_ = std::move(r);
    wake();
  }

  void on_upgrade(std::uint64_t id, std::shared_ptr<ws_upgrade> up) {
    if (closed_ || stopping_ || id != request_id_ || phase_ != phase::handling || response_ ||
        stream_out_ || upgrade_) {
      fail_upgrade(*up, "connection closed before the upgrade");
      return;
    }
    upgrade_ = std::move(up);
    wake();
  }

  void on_stream(std::uint64_t id, std::shared_ptr<stream_impl> s) {
    if (closed_ || id != request_id_ || phase_ != phase::handling || response_ || stream_out_) {
      s->peer_gone();
      return;
    }
    stream_out_ = std::move(s);
    wake();
  }

  using request_parser = http::request_parser<http::string_body>;

  static net::awaitable<void> run(std::shared_ptr<connection> self);
  // serve() and its steps, in the order a request goes through them.
  net::awaitable<void> serve();
  net::awaitable<bool> handshake();
  net::awaitable<bool> wait_for_request(bool first);
  net::awaitable<bool> read_request(request_parser& parser);
  bool apply_body_limit(request_parser& parser);
  net::awaitable<bool> read_body(request_parser& parser);
  void dispatch(http::request<http::string_body>& msg);
  void hand_over_to_websocket(request_parser& parser);
  net::awaitable<bool> send_answer(unsigned version, bool keep_alive, bool head);
  net::awaitable<void> wait_signal();
  net::awaitable<void> fail_request(const error_code& ec);
  net::awaitable<void> send_error_and_linger(unsigned status, std::string_view message);
  net::awaitable<bool> write_response(http_response r, unsigned version, bool keep_alive,
                                      bool head);
  net::awaitable<bool> run_stream(unsigned version, bool keep_alive, bool head);
  net::awaitable<void> stop_detect();
  void start_detect();
  void on_stop(std::chrono::milliseconds grace);
  void close_now();
  http_request make_request(http::request<http::string_body>& msg);

  net::any_io_executor ex_;  // the connection's strand
  Stream stream_;
  beast::flat_buffer buf_;
  net::steady_timer signal_;  // never expires; cancel() wakes the coroutine
  net::steady_timer grace_timer_;
  std::string remote_;

  phase phase_ = phase::idle;
  bool closed_ = false;
  bool stopping_ = false;
  std::uint64_t request_id_ = 0;
  std::optional<http_response> response_;
  std::shared_ptr<stream_impl> stream_out_;
  std::shared_ptr<ws_upgrade> upgrade_;  // ws_accept() answered the request

  // The read kept pending while streaming, to notice the peer going away.
  bool detect_pending_ = false;
  bool detect_stop_ = false;
  bool peer_gone_ = false;
};

template <class Stream>
net::awaitable<void> connection<Stream>::run(std::shared_ptr<connection> self) {
  try {
    co_await self->serve();
  } catch (const std::exception&) {
    detail::report_exception("http connection " + self->remote_ + " failed",
                             std::current_exception(), diagnostic_level::warning);
  }
  self->close_now();
}

template <class Stream>
net::awaitable<void> connection<Stream>::wait_signal() {
  signal_.expires_at(net::steady_timer::time_point::max());
  co_await signal_.async_wait(use_tuple);
}

template <class Stream>
void connection<Stream>::on_stop(std::chrono::milliseconds grace) {
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
void connection<Stream>::close_now() {
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

template <class Stream>
http_request connection<Stream>::make_request(http::request<http::string_body>& msg) {
  http_request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  const auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  req.headers.reserve(16);
  for (const auto& field : msg)
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(msg.body());
  req.remote_address = remote_;
  return req;
}

// One request after another on the connection until it closes, stops or is upgraded.
template <class Stream>
net::awaitable<void> connection<Stream>::serve() {
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
    if (!co_await read_request(parser)) co_return;
    lowest().expires_never();

    auto& msg = parser.get();
    const bool keep_alive = msg.keep_alive();
    const unsigned version = msg.version();
    const bool head = msg.method() == http::verb::head;
    dispatch(msg);

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
net::awaitable<bool> connection<Stream>::handshake() {
  lowest().expires_after(core_->opt.header_timeout);
  auto [ec] = co_await stream_.async_handshake(net::ssl::stream_base::server, use_tuple);
  co_return !closed_ && !ec;
}

// Idle: waits for the first bytes of the next request (keep-alive), unless already buffered.
template <class Stream>
net::awaitable<bool> connection<Stream>::wait_for_request(bool first) {
  if (buf_.size() != 0) co_return true;
  phase_ = phase::idle;
  const auto& opt = core_->opt;
  lowest().expires_after(first ? opt.header_timeout : opt.idle_timeout);
  auto [ec, n] = co_await stream_.async_read_some(buf_.prepare(4096), use_tuple);
  if (closed_ || ec) co_return false;
  buf_.commit(n);
  co_return true;
}

// The header, then the body (after a 100 Continue when the client asks for one). False when the
// connection is done: closed, or answered with an error by fail_request.
template <class Stream>
net::awaitable<bool> connection<Stream>::read_request(request_parser& parser) {
  const auto& opt = core_->opt;
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(opt.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  // With a per-request limit the header is read without one, then checked below.
  if (opt.max_body_bytes_for)
    parser.body_limit(boost::none);
  else
    parser.body_limit(static_cast<std::uint64_t>(opt.max_body_bytes));

  lowest().expires_after(opt.header_timeout);
  {
    auto [ec, n] = co_await http::async_read_header(stream_, buf_, parser, use_tuple);
    (void)n;
    if (closed_) co_return false;
    if (ec) {
      co_await fail_request(ec);
      co_return false;
    }
  }
  if (opt.max_body_bytes_for && !apply_body_limit(parser)) {
    co_await fail_request(http::error::body_limit);
    co_return false;
  }
  if (parser.is_done()) co_return true;
  co_return co_await read_body(parser);
}

// The per-request body limit: false when the declared length is over it already.
template <class Stream>
bool connection<Stream>::apply_body_limit(request_parser& parser) {
  const auto& h = parser.get();
  const std::size_t limit = core_->opt.max_body_bytes_for(
      std::string_view(h.method_string().data(), h.method_string().size()),
      std::string_view(h.target().data(), h.target().size()));
  if (parser.content_length() && *parser.content_length() > limit) return false;
  parser.body_limit(static_cast<std::uint64_t>(limit));  // chunked bodies: checked as read
  return true;
}

template <class Stream>
net::awaitable<bool> connection<Stream>::read_body(request_parser& parser) {
  const auto& opt = core_->opt;
  const auto expect = parser.get()[http::field::expect];
  if (iequals(expect, "100-continue")) {
    static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
    lowest().expires_after(opt.write_timeout);
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(continue_line), use_tuple);
    (void)n;
    if (closed_ || ec) co_return false;
  }
  lowest().expires_after(opt.body_timeout);
  auto [ec, n] = co_await http::async_read(stream_, buf_, parser, use_tuple);
  (void)n;
  if (closed_) co_return false;
  if (ec) {
    co_await fail_request(ec);
    co_return false;
  }
  co_return true;
}

// Hands the request to the application's handler (a 503 once the http_server object is gone).
// The answer arrives later on the strand: on_response, on_stream or on_upgrade.
template <class Stream>
void connection<Stream>::dispatch(http::request<http::string_body>& msg) {
  phase_ = phase::handling;
  response_.reset();
  stream_out_.reset();
  const std::uint64_t id = ++request_id_;
  auto ex = make_exchange(weak_from_this(), core_, id, make_request(msg),
                          core_->opt.max_stream_buffer_bytes);
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
void connection<Stream>::hand_over_to_websocket(request_parser& parser) {
  // The client must wait for our 101 before sending frames (RFC 6455 section 4.1), so nothing
  // may be buffered beyond the request.
  auto up = std::exchange(upgrade_, nullptr);
  if (buf_.size() != 0) {
    fail_upgrade(*up, "data after the upgrade request");
    return;
  }
  phase_ = phase::writing;
  closed_ = true;  // the socket is the WebSocket session's from here on
  start_ws_session(core_, drain_, std::move(up), std::move(stream_), parser.release());
}

// Writes the handler's answer: its response, or its stream. True when the connection may serve
// another request.
template <class Stream>
net::awaitable<bool> connection<Stream>::send_answer(unsigned version, bool keep_alive, bool head) {
  if (response_) {
    phase_ = phase::writing;
    http_response r = std::move(*response_);
    response_.reset();
    const bool ok = co_await write_response(std::move(r), version, keep_alive && !stopping_, head);
    co_return ok&& keep_alive;
  }
  const bool again = co_await run_stream(version, keep_alive, head);
  if (again) stream_out_.reset();
  co_return again;
}

template <class Stream>
net::awaitable<void> connection<Stream>::fail_request(const error_code& ec) {
  if (ec == http::error::header_limit) {
    co_await send_error_and_linger(431, "request header fields too large");
  } else if (ec == http::error::body_limit) {
    co_await send_error_and_linger(413, "payload too large");
  } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    co_await send_error_and_linger(400, "bad request");
  }
  // Timeouts, resets and EOF: just close.
}

// Answers with `status` and Connection: close, then half-closes and drains what the client still
// sends for a moment, so that it reads the answer instead of a connection reset.
template <class Stream>
net::awaitable<void> connection<Stream>::send_error_and_linger(unsigned status,
                                                               std::string_view message) {
  phase_ = phase::writing;
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = "{\"error\":\"" + std::string(message) + "\"}";
  res.keep_alive(false);
  res.prepare_payload();
  lowest().expires_after(core_->opt.write_timeout);
  {
    auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
    (void)n;
    if (closed_ || ec) co_return;
  }
  error_code ignored;
  lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
  lowest().expires_after(
      std::chrono::milliseconds(std::min<std::int64_t>(1000, core_->opt.write_timeout.count())));
  std::size_t drained = 0;
  std::array<char, 4096> scratch;
  while (drained < (1u << 20)) {
    auto [ec, n] = co_await stream_.async_read_some(net::buffer(scratch), use_tuple);
    if (closed_ || ec) co_return;
    drained += n;
  }
}

template <class Stream>
net::awaitable<bool> connection<Stream>::write_response(http_response r, unsigned version,
                                                        bool keep_alive, bool head) {
  http::response<http::string_body> res;
  res.version(version == 10 ? 10 : 11);
  res.result(r.status >= 100 && r.status <= 999 ? r.status : 500u);
  if (!r.content_type.empty() && !has_crlf(r.content_type))
    res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) {
    if (!is_token(name) || has_crlf(value) || reserved_header(name)) continue;
    if (!r.content_type.empty() && iequals(name, "content-type")) continue;
    res.insert(name, value);
  }
  res.keep_alive(keep_alive);
  if (res.result_int() / 100 == 1 || res.result_int() == 204 || res.result_int() == 304) {
    r.body.clear();  // these statuses have no body (Beast refuses to frame one)
    head = false;
  }
  const std::size_t body_size = r.body.size();
  if (head) {
    res.content_length(body_size);
  } else {
    res.body() = std::move(r.body);
    res.prepare_payload();
  }
  lowest().expires_after(core_->opt.write_timeout);
  auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
  (void)n;
  lowest().expires_never();
  co_return !ec && !closed_;
}

// Chunked response. Returns true when the connection may serve another request.
template <class Stream>
net::awaitable<bool> connection<Stream>::run_stream(unsigned version, bool keep_alive, bool head) {
  phase_ = phase::streaming;
  auto s = stream_out_;
  const bool chunked = version != 10;  // HTTP/1.0: raw body delimited by closing the connection
  const bool reuse = keep_alive && chunked && !stopping_;

  http::response<http::empty_body> res;
  res.version(chunked ? 11 : 10);
  res.result(s->status >= 100 && s->status <= 999 ? s->status : 500u);
  if (!s->content_type.empty() && !has_crlf(s->content_type))
    res.set(http::field::content_type, s->content_type);
  for (const auto& [name, value] : s->headers) {
    if (!is_token(name) || has_crlf(value) || reserved_header(name)) continue;
    if (!s->content_type.empty() && iequals(name, "content-type")) continue;
    res.insert(name, value);
  }
  res.keep_alive(reuse);
  if (chunked) res.chunked(true);
  {
    http::response_serializer<http::empty_body> sr{res};
    lowest().expires_after(core_->opt.write_timeout);
    auto [ec, n] = co_await http::async_write_header(stream_, sr, use_tuple);
    (void)n;
    lowest().expires_never();
    if (closed_ || ec) co_return false;  // close_now() (by the caller) reports the peer as gone
  }
  if (head) {
    s->mark_finished();
    co_return reuse;
  }

  peer_gone_ = false;
  start_detect();
  std::string chunk;
  bool finished = false;
  for (;;) {
    if (closed_ || peer_gone_) break;
    const auto got = s->take(chunk);
    if (got == stream_impl::take_result::empty) {
      co_await wait_signal();
      continue;
    }
    lowest().expires_after(core_->opt.write_timeout);
    error_code ec;
    if (got == stream_impl::take_result::finished) {
      if (chunked) {
        static constexpr std::string_view last_chunk = "0\r\n\r\n";
        auto [wec, n] = co_await net::async_write(stream_, net::buffer(last_chunk), use_tuple);
        (void)n;
        ec = wec;
      }
      finished = !ec;
      lowest().expires_never();
      break;
    }
    if (chunked) {
      char prefix[24];
      const int len = std::snprintf(prefix, sizeof prefix, "%zx\r\n", chunk.size());
      const std::array<net::const_buffer, 3> bufs{
          net::buffer(prefix, static_cast<std::size_t>(len)), net::buffer(chunk),
          net::buffer("\r\n", 2)};
      auto [wec, n] = co_await net::async_write(stream_, bufs, use_tuple);
      (void)n;
      ec = wec;
    } else {
      auto [wec, n] = co_await net::async_write(stream_, net::buffer(chunk), use_tuple);
      (void)n;
      ec = wec;
    }
    lowest().expires_never();
    s->sent(chunk.size());
    if (ec) break;
  }

  if (!finished || closed_) {
    close_now();  // fires on_peer_gone (unless the app had closed the stream)
    co_return false;
  }
  if (!reuse) co_return false;
  co_await stop_detect();
  co_return !closed_ && !peer_gone_;
}

template <class Stream>
void connection<Stream>::start_detect() {
  if (detect_pending_ || closed_) return;
  // Bytes read here are the next pipelined request: keep them, but do not buffer without bound.
  if (buf_.size() > core_->opt.max_header_bytes + core_->opt.max_body_bytes) return;
  detect_pending_ = true;
  // Completes on the socket's executor, i.e. this connection's strand.
  auto on_read = [self = self()](const error_code& ec, std::size_t n) {
    self->detect_pending_ = false;
    if (!ec) {
      self->buf_.commit(n);
      if (self->detect_stop_) {
        self->wake();
      } else {
        self->start_detect();
      }
      return;
    }
    if (ec == net::error::operation_aborted && self->detect_stop_) {
      self->wake();
      return;
    }
    self->peer_gone_ = true;  // EOF, reset, or the socket was closed
    self->wake();
  };
  if constexpr (is_tls) {
    stream_.async_read_some(buf_.prepare(2048), std::move(on_read));
  } else {
    lowest().socket().async_read_some(buf_.prepare(2048), std::move(on_read));
  }
}

template <class Stream>
net::awaitable<void> connection<Stream>::stop_detect() {
  detect_stop_ = true;
  if (detect_pending_) {
    error_code ec;
    lowest().socket().cancel(ec);
  }
  while (detect_pending_ && !closed_) co_await wait_signal();
  detect_stop_ = false;
}

}  // namespace

connection_base::~connection_base() {
  std::lock_guard lock(core_->mtx);
  core_->conns.erase(this);
}

std::shared_ptr<connection_base> make_connection(std::shared_ptr<server_core> core,
                                                 std::shared_ptr<drain_token> drain,
                                                 tcp::socket sock, std::string remote) {
  if (core->tls) {
    tls_stream stream(beast::tcp_stream(std::move(sock)), *core->tls);
    return std::make_shared<connection<tls_stream>>(std::move(core), std::move(drain),
                                                    std::move(stream), std::move(remote));
  }
  return std::make_shared<connection<beast::tcp_stream>>(
      std::move(core), std::move(drain), beast::tcp_stream(std::move(sock)), std::move(remote));
}

}  // namespace patchbay::kit::server_detail
