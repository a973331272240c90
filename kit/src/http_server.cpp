// The HTTP/1.1 server: one acceptor coroutine, and one coroutine per connection running on the
// connection's own strand. All per-connection state is touched only on that strand, except the
// stream's send queue, which has its own mutex because http_stream::write() is synchronous and
// callable from any thread.
#include "patchbay/kit/http_server.hpp"

#include "patchbay/kit/runtime.hpp"
#include "text_util.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
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

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace patchbay::kit {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

using detail::has_crlf;
using detail::iequals;
using detail::is_token;

// Headers the server manages itself; a handler's values for them are ignored (and Content-Type
// too when the response's content_type field is set).
bool reserved_header(std::string_view name) noexcept {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection");
}

std::string endpoint_string(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  std::string out = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  out += ':';
  out += std::to_string(ep.port());
  return out;
}

// Completion of a detached coroutine: report (never rethrow) an escaped exception.
void report_exception(const char* what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "patchbay kit: %s: %s\n", what, ex.what());
  } catch (...) {
    std::fprintf(stderr, "patchbay kit: %s: unknown exception\n", what);
  }
}

http_response simple_response(unsigned status, std::string_view message) {
  http_response r;
  r.status = status;
  r.body = "{\"error\":\"" + std::string(message) + "\"}";
  return r;
}

class connection;
class stream_impl;

// Shared by http_server::impl, the acceptor coroutine and every connection.
struct server_core : std::enable_shared_from_this<server_core> {
  server_core(net::io_context& ctx, http_server_options o, http_handler h)
      : ioc(ctx), opt(std::move(o)), handler(std::move(h)), acceptor_strand(net::make_strand(ctx)) {}

  net::io_context& ioc;
  const http_server_options opt;
  const http_handler handler;
  net::strand<net::io_context::executor_type> acceptor_strand;
  std::optional<tcp::acceptor> acceptor;  // touched only on acceptor_strand once started

  std::mutex mtx;  // guards everything below
  std::unordered_map<const connection*, std::weak_ptr<connection>> conns;
  std::string local;
  bool started = false;
  bool stopping = false;
  std::atomic<bool> destroyed{false};  // the http_server object is gone: never call the handler again

  void start();
  void stop(std::chrono::milliseconds grace);
  void admit(tcp::socket sock);
  static net::awaitable<void> accept_loop(std::shared_ptr<server_core> self);
};

// ---------------------------------------------------------------------------------------------
// The stream's shared state: written from any thread, drained on the connection strand. The
// application holds it through a stream_handle (below), the connection holds it directly.

class stream_impl {
 public:
  // Holds no executor and no io_context reference: a stream (or exchange) the application keeps
  // after the runtime is gone must stay harmless, and Asio strands must not outlive their context.
  stream_impl(std::weak_ptr<connection> conn, std::weak_ptr<server_core> core, std::size_t max_unsent)
      : conn_(std::move(conn)), core_(std::move(core)), max_unsent_(max_unsent) {}

  unsigned status = 200;
  std::string content_type;
  http_headers headers;

  bool write(std::string chunk) {
    bool need_wake = false;
    {
      std::lock_guard lock(mtx_);
      if (app_closed_ || gone_) return false;
      if (conn_.expired()) {  // the connection was torn down without a goodbye (runtime stopped)
        gone_ = true;
        return false;
      }
      if (chunk.empty()) return true;  // an empty chunk would end the chunked body
      if (chunk.size() > max_unsent_ || unsent_ > max_unsent_ - chunk.size()) return false;
      unsent_ += chunk.size();
      need_wake = queue_.empty();
      queue_.push_back(std::move(chunk));
    }
    if (need_wake) wake();
    return true;
  }

  void close() {
    std::function<void()> unused;  // on_peer_gone can no longer fire: release it (outside the lock)
    {
      std::lock_guard lock(mtx_);
      if (app_closed_ || gone_) return;
      app_closed_ = true;
      unused = std::move(gone_fn_);
    }
    wake();
  }

  bool closed() const {
    std::lock_guard lock(mtx_);
    return app_closed_ || gone_ || conn_.expired();
  }

  void on_peer_gone(std::function<void()> fn);

  // --- connection side (on the strand) ---
  enum class take_result { data, finished, empty };

  take_result take(std::string& out) {
    std::lock_guard lock(mtx_);
    if (!queue_.empty()) {
      out = std::move(queue_.front());
      queue_.pop_front();
      return take_result::data;
    }
    return app_closed_ ? take_result::finished : take_result::empty;
  }

  void sent(std::size_t n) {
    std::lock_guard lock(mtx_);
    unsent_ -= std::min(unsent_, n);
  }

  // The response can no longer be delivered. Fires on_peer_gone unless the app had closed it.
  void peer_gone(bool fire = true) {
    std::function<void()> fn;
    {
      std::lock_guard lock(mtx_);
      if (gone_) return;
      gone_ = true;
      queue_.clear();
      unsent_ = 0;
      fn = std::move(gone_fn_);
      if (!fire || app_closed_ || gone_fired_ || !fn) return;  // fn (if any) is released unlocked
      gone_fired_ = true;
    }
    try {
      fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "patchbay kit: on_peer_gone callback threw: %s\n", e.what());
    }
  }

  // Ends the stream quietly (HEAD request or superseded answer).
  void mark_finished() {
    std::function<void()> unused;
    std::lock_guard lock(mtx_);
    app_closed_ = true;
    gone_ = true;
    queue_.clear();
    unsent_ = 0;
    unused = std::move(gone_fn_);
  }

 private:
  void wake();

  std::weak_ptr<connection> conn_;
  std::weak_ptr<server_core> core_;
  const std::size_t max_unsent_;

  mutable std::mutex mtx_;
  std::deque<std::string> queue_;
  std::size_t unsent_ = 0;
  bool app_closed_ = false;
  bool gone_ = false;
  bool gone_fired_ = false;
  std::function<void()> gone_fn_;
};

// What the application gets from start_stream(). Dropping the last reference ends the stream
// (as close() would), so a forgotten stream cannot hold its connection open forever.
class stream_handle final : public http_stream {
 public:
  explicit stream_handle(std::shared_ptr<stream_impl> s) : s_(std::move(s)) {}
  ~stream_handle() override { s_->close(); }
  stream_handle(const stream_handle&) = delete;
  stream_handle& operator=(const stream_handle&) = delete;

  bool write(std::string chunk) override { return s_->write(std::move(chunk)); }
  void close() override { s_->close(); }
  bool closed() const override { return s_->closed(); }
  void on_peer_gone(std::function<void()> fn) override { s_->on_peer_gone(std::move(fn)); }

 private:
  std::shared_ptr<stream_impl> s_;
};

// ---------------------------------------------------------------------------------------------

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(std::shared_ptr<server_core> core, tcp::socket sock, std::string remote)
      : core_(std::move(core)),
        ex_(sock.get_executor()),
        stream_(std::move(sock)),
        signal_(ex_),
        grace_timer_(ex_),
        remote_(std::move(remote)) {}

  ~connection() {
    // Torn down without close_now() only when the runtime is destroyed with this connection still
    // pending: no user callback from here.
    if (stream_out_) stream_out_->peer_gone(false);
    std::lock_guard lock(core_->mtx);
    core_->conns.erase(this);
  }

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  static net::awaitable<void> run(std::shared_ptr<connection> self);

  const net::any_io_executor& executor() const { return ex_; }

  // Any thread: runs `fn` on this connection's strand, unless the runtime is stopping.
  template <class Fn>
  void post(Fn&& fn) {
    if (core_->ioc.stopped()) return;
    net::post(ex_, std::forward<Fn>(fn));
  }

  // Any thread.
  void begin_stop(std::chrono::milliseconds grace) {
    net::post(ex_, [self = shared_from_this(), grace] { self->on_stop(grace); });
  }

  // --- on the strand ---
  void wake() { signal_.cancel(); }

  void on_response(std::uint64_t id, http_response r) {
    if (closed_ || id != request_id_ || phase_ != phase::handling || response_ || stream_out_) return;
    response_ = std::move(r);
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

 private:
  enum class phase { idle, reading, handling, writing, streaming };

  net::awaitable<void> serve();
  net::awaitable<void> wait_signal();
  net::awaitable<void> fail_request(const error_code& ec);
  net::awaitable<void> send_error_and_linger(unsigned status, std::string_view message);
  net::awaitable<bool> write_response(http_response r, unsigned version, bool keep_alive, bool head);
  net::awaitable<bool> run_stream(unsigned version, bool keep_alive, bool head);
  net::awaitable<void> stop_detect();
  void start_detect();
  void on_stop(std::chrono::milliseconds grace);
  void close_now();
  http_request make_request(http::request<http::string_body>& msg);

  std::shared_ptr<server_core> core_;
  net::any_io_executor ex_;  // the connection's strand
  beast::tcp_stream stream_;
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

  // The read kept pending while streaming, to notice the peer going away.
  bool detect_pending_ = false;
  bool detect_stop_ = false;
  bool peer_gone_ = false;
};

void stream_impl::wake() {
  if (auto c = conn_.lock()) {
    c->post([w = conn_] {
      if (auto c2 = w.lock()) c2->wake();
    });
  }
}

void stream_impl::on_peer_gone(std::function<void()> fn) {
  if (!fn) return;
  {
    std::lock_guard lock(mtx_);
    if (app_closed_) return;  // closed by the app first: never fires (fn released unlocked)
    if (!gone_ && !conn_.expired()) {
      std::swap(gone_fn_, fn);  // a replaced callback is released unlocked
      return;
    }
    gone_ = true;
  }
  // Already gone: still deliver asynchronously, exactly once; on the connection's strand if the
  // connection still exists, else on a runtime thread.
  if (auto c = conn_.lock()) {
    c->post(std::move(fn));
  } else if (auto core = core_.lock()) {
    if (!core->ioc.stopped()) net::post(core->ioc, std::move(fn));
  }
}

// ---------------------------------------------------------------------------------------------

class exchange_impl final : public http_exchange {
 public:
  exchange_impl(std::weak_ptr<connection> conn, std::weak_ptr<server_core> core, std::uint64_t id, http_request req,
                std::size_t max_stream)
      : conn_(std::move(conn)), core_(std::move(core)), id_(id), req_(std::move(req)), max_stream_(max_stream) {}

  ~exchange_impl() override {
    if (!answered_.exchange(true)) {
      try {
        deliver(simple_response(500, "request dropped without an answer"));
      } catch (...) {  // a destructor must not throw (allocation failure while posting)
      }
    }
  }

  const http_request& request() const override { return req_; }

  void respond(http_response response) override {
    if (answered_.exchange(true)) return;
    deliver(std::move(response));
  }

  std::shared_ptr<http_stream> start_stream(unsigned status, std::string content_type,
                                            http_headers headers) override {
    auto s = std::make_shared<stream_impl>(conn_, core_, max_stream_);
    if (answered_.exchange(true)) {
      s->mark_finished();
      return std::make_shared<stream_handle>(std::move(s));
    }
    s->status = status;
    s->content_type = std::move(content_type);
    s->headers = std::move(headers);
    if (auto c = conn_.lock()) {
      c->post([w = conn_, id = id_, s] {
        if (auto c2 = w.lock()) c2->on_stream(id, s);
      });
    }
    return std::make_shared<stream_handle>(std::move(s));
  }

 private:
  void deliver(http_response r) {
    if (auto c = conn_.lock()) {
      c->post([w = conn_, id = id_, r = std::move(r)]() mutable {
        if (auto c2 = w.lock()) c2->on_response(id, std::move(r));
      });
    }
  }

  std::weak_ptr<connection> conn_;
  std::weak_ptr<server_core> core_;
  const std::uint64_t id_;
  const http_request req_;
  const std::size_t max_stream_;
  std::atomic<bool> answered_{false};
};

// ---------------------------------------------------------------------------------------------
// connection implementation

net::awaitable<void> connection::run(std::shared_ptr<connection> self) {
  try {
    co_await self->serve();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "patchbay kit: http connection %s failed: %s\n", self->remote_.c_str(), e.what());
  }
  self->close_now();
}

net::awaitable<void> connection::wait_signal() {
  signal_.expires_at(net::steady_timer::time_point::max());
  co_await signal_.async_wait(use_tuple);
}

void connection::on_stop(std::chrono::milliseconds grace) {
  if (closed_ || stopping_) return;
  stopping_ = true;
  if (phase_ == phase::idle) {
    close_now();
    return;
  }
  grace_timer_.expires_after(grace);
  grace_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->close_now();
  });
}

void connection::close_now() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
  signal_.cancel();
  grace_timer_.cancel();
  if (stream_out_) stream_out_->peer_gone();
}

http_request connection::make_request(http::request<http::string_body>& msg) {
  http_request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  const auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  req.headers.reserve(16);
  for (const auto& field : msg) req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(msg.body());
  req.remote_address = remote_;
  return req;
}

net::awaitable<void> connection::serve() {
  const auto& opt = core_->opt;
  bool first = true;
  for (;;) {
    if (closed_ || stopping_) co_return;

    // Idle: wait for the first bytes of the next request (keep-alive), unless already buffered.
    if (buf_.size() == 0) {
      phase_ = phase::idle;
      stream_.expires_after(first ? opt.header_timeout : opt.idle_timeout);
      auto [ec, n] = co_await stream_.async_read_some(buf_.prepare(4096), use_tuple);
      if (closed_ || ec) co_return;
      buf_.commit(n);
    }
    first = false;
    phase_ = phase::reading;

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(opt.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(static_cast<std::uint64_t>(opt.max_body_bytes));

    stream_.expires_after(opt.header_timeout);
    {
      auto [ec, n] = co_await http::async_read_header(stream_, buf_, parser, use_tuple);
      (void)n;
      if (closed_) co_return;
      if (ec) {
        co_await fail_request(ec);
        co_return;
      }
    }
    if (!parser.is_done()) {
      const auto expect = parser.get()[http::field::expect];
      if (iequals(expect, "100-continue")) {
        static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
        stream_.expires_after(opt.write_timeout);
        auto [ec, n] = co_await net::async_write(stream_, net::buffer(continue_line), use_tuple);
        (void)n;
        if (closed_ || ec) co_return;
      }
      stream_.expires_after(opt.body_timeout);
      auto [ec, n] = co_await http::async_read(stream_, buf_, parser, use_tuple);
      (void)n;
      if (closed_) co_return;
      if (ec) {
        co_await fail_request(ec);
        co_return;
      }
    }
    stream_.expires_never();

    auto& msg = parser.get();
    const bool keep_alive = msg.keep_alive();
    const unsigned version = msg.version();
    const bool head = msg.method() == http::verb::head;

    phase_ = phase::handling;
    response_.reset();
    stream_out_.reset();
    const std::uint64_t id = ++request_id_;
    {
      auto ex = std::make_shared<exchange_impl>(weak_from_this(), core_, id, make_request(msg),
                                                opt.max_stream_buffer_bytes);
      if (core_->destroyed.load()) {
        ex->respond(simple_response(503, "server shutting down"));
      } else {
        try {
          core_->handler(ex);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "patchbay kit: http handler threw: %s\n", e.what());
        } catch (...) {
          std::fprintf(stderr, "patchbay kit: http handler threw a non-standard exception\n");
        }
      }
      // Dropping our reference: if nobody else holds the exchange, it answers 500.
    }

    while (!closed_ && !response_ && !stream_out_) co_await wait_signal();
    if (closed_) co_return;

    if (response_) {
      phase_ = phase::writing;
      http_response r = std::move(*response_);
      response_.reset();
      const bool ok = co_await write_response(std::move(r), version, keep_alive && !stopping_, head);
      if (!ok || !keep_alive) co_return;
      continue;
    }

    const bool again = co_await run_stream(version, keep_alive, head);
    if (!again) co_return;
    stream_out_.reset();
  }
}

net::awaitable<void> connection::fail_request(const error_code& ec) {
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
net::awaitable<void> connection::send_error_and_linger(unsigned status, std::string_view message) {
  phase_ = phase::writing;
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = "{\"error\":\"" + std::string(message) + "\"}";
  res.keep_alive(false);
  res.prepare_payload();
  stream_.expires_after(core_->opt.write_timeout);
  {
    auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
    (void)n;
    if (closed_ || ec) co_return;
  }
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.expires_after(std::chrono::milliseconds(std::min<std::int64_t>(1000, core_->opt.write_timeout.count())));
  std::size_t drained = 0;
  std::array<char, 4096> scratch;
  while (drained < (1u << 20)) {
    auto [ec, n] = co_await stream_.async_read_some(net::buffer(scratch), use_tuple);
    if (closed_ || ec) co_return;
    drained += n;
  }
}

net::awaitable<bool> connection::write_response(http_response r, unsigned version, bool keep_alive, bool head) {
  http::response<http::string_body> res;
  res.version(version == 10 ? 10 : 11);
  res.result(r.status >= 100 && r.status <= 999 ? r.status : 500u);
  if (!r.content_type.empty() && !has_crlf(r.content_type)) res.set(http::field::content_type, r.content_type);
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
  stream_.expires_after(core_->opt.write_timeout);
  auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
  (void)n;
  stream_.expires_never();
  co_return !ec && !closed_;
}

// Chunked response. Returns true when the connection may serve another request.
net::awaitable<bool> connection::run_stream(unsigned version, bool keep_alive, bool head) {
  phase_ = phase::streaming;
  auto s = stream_out_;
  const bool chunked = version != 10;  // HTTP/1.0: raw body delimited by closing the connection
  const bool reuse = keep_alive && chunked && !stopping_;

  http::response<http::empty_body> res;
  res.version(chunked ? 11 : 10);
  res.result(s->status >= 100 && s->status <= 999 ? s->status : 500u);
  if (!s->content_type.empty() && !has_crlf(s->content_type)) res.set(http::field::content_type, s->content_type);
  for (const auto& [name, value] : s->headers) {
    if (!is_token(name) || has_crlf(value) || reserved_header(name)) continue;
    if (!s->content_type.empty() && iequals(name, "content-type")) continue;
    res.insert(name, value);
  }
  res.keep_alive(reuse);
  if (chunked) res.chunked(true);
  {
    http::response_serializer<http::empty_body> sr{res};
    stream_.expires_after(core_->opt.write_timeout);
    auto [ec, n] = co_await http::async_write_header(stream_, sr, use_tuple);
    (void)n;
    stream_.expires_never();
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
    stream_.expires_after(core_->opt.write_timeout);
    error_code ec;
    if (got == stream_impl::take_result::finished) {
      if (chunked) {
        static constexpr std::string_view last_chunk = "0\r\n\r\n";
        auto [wec, n] = co_await net::async_write(stream_, net::buffer(last_chunk), use_tuple);
        (void)n;
        ec = wec;
      }
      finished = !ec;
      stream_.expires_never();
      break;
    }
    if (chunked) {
      char prefix[24];
      const int len = std::snprintf(prefix, sizeof prefix, "%zx\r\n", chunk.size());
      const std::array<net::const_buffer, 3> bufs{net::buffer(prefix, static_cast<std::size_t>(len)),
                                                  net::buffer(chunk), net::buffer("\r\n", 2)};
      auto [wec, n] = co_await net::async_write(stream_, bufs, use_tuple);
      (void)n;
      ec = wec;
    } else {
      auto [wec, n] = co_await net::async_write(stream_, net::buffer(chunk), use_tuple);
      (void)n;
      ec = wec;
    }
    stream_.expires_never();
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

void connection::start_detect() {
  if (detect_pending_ || closed_) return;
  // Bytes read here are the next pipelined request: keep them, but do not buffer without bound.
  if (buf_.size() > core_->opt.max_header_bytes + core_->opt.max_body_bytes) return;
  detect_pending_ = true;
  // Completes on the socket's executor, i.e. this connection's strand.
  stream_.socket().async_read_some(buf_.prepare(2048), [self = shared_from_this()](const error_code& ec, std::size_t n) {
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
  });
}

net::awaitable<void> connection::stop_detect() {
  detect_stop_ = true;
  if (detect_pending_) {
    error_code ec;
    stream_.socket().cancel(ec);
  }
  while (detect_pending_ && !closed_) co_await wait_signal();
  detect_stop_ = false;
}

// ---------------------------------------------------------------------------------------------
// server_core

tcp::endpoint resolve_listen(const std::string& listen, net::io_context& ioc) {
  auto fail = [&](const std::string& why) { return std::runtime_error("http_server: cannot listen on '" + listen + "': " + why); };
  std::string host;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') throw fail("expected [v6]:port");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw fail("expected host:port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  unsigned long port_number = 0;
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      (port_number = std::stoul(port)) > 65535) {
    throw fail("bad port");
  }
  if (host.empty() || host == "*") host = "0.0.0.0";
  error_code ec;
  const auto addr = net::ip::make_address(host, ec);
  if (!ec) return {addr, static_cast<unsigned short>(port_number)};
  // A name: resolved synchronously, start() runs on the caller's thread.
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(host, port, ec);
  if (ec || results.empty()) throw fail(ec ? ec.message() : "no address");
  return results.begin()->endpoint();
}

void server_core::start() {
  {
    std::lock_guard lock(mtx);
    if (started || stopping) return;
  }
  const tcp::endpoint ep = resolve_listen(opt.listen, ioc);
  tcp::acceptor acc(acceptor_strand);
  error_code ec;
  auto fail = [&](const char* step) {
    return std::runtime_error("http_server: cannot listen on '" + opt.listen + "' (" + step + "): " + ec.message());
  };
  acc.open(ep.protocol(), ec);
  if (ec) throw fail("open");
  acc.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) throw fail("setsockopt");
  acc.bind(ep, ec);
  if (ec) throw fail("bind");
  acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw fail("listen");
  const auto bound = acc.local_endpoint(ec);
  if (ec) throw fail("local_endpoint");
  {
    std::lock_guard lock(mtx);
    if (started || stopping) return;  // raced with another start() or stop()
    started = true;
    local = endpoint_string(bound);
    acceptor.emplace(std::move(acc));
  }
  net::co_spawn(acceptor_strand, accept_loop(shared_from_this()),
                [](std::exception_ptr e) { report_exception("http acceptor", e); });
}

net::awaitable<void> server_core::accept_loop(std::shared_ptr<server_core> self) {
  for (;;) {
    tcp::socket sock(net::make_strand(self->ioc));
    auto [ec] = co_await self->acceptor->async_accept(sock, use_tuple);
    {
      std::lock_guard lock(self->mtx);
      if (self->stopping) co_return;
    }
    if (!self->acceptor->is_open() || ec == net::error::operation_aborted) co_return;
    if (ec) {
      // Transient (out of descriptors, aborted handshake): back off briefly instead of spinning.
      net::steady_timer backoff(self->acceptor_strand, 50ms);
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    self->admit(std::move(sock));
  }
}

void server_core::admit(tcp::socket sock) {
  error_code ec;
  const auto remote_ep = sock.remote_endpoint(ec);
  if (ec) return;  // already gone
  sock.set_option(tcp::no_delay(true), ec);
  std::shared_ptr<connection> conn;
  {
    std::lock_guard lock(mtx);
    if (stopping) return;
    if (conns.size() < opt.max_connections) {
      conn = std::make_shared<connection>(shared_from_this(), std::move(sock), endpoint_string(remote_ep));
      conns.emplace(conn.get(), conn);
    }
  }
  if (!conn) {
    // Over the limit: a short 503 (fits in the socket buffer, so the write cannot stall), then close.
    static constexpr std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
        "Connection: close\r\n\r\n{\"error\":\"too many clients\"}";
    auto sp = std::make_shared<tcp::socket>(std::move(sock));
    net::async_write(*sp, net::buffer(busy), [sp](const error_code&, std::size_t) {
      error_code ignored;
      sp->shutdown(tcp::socket::shutdown_both, ignored);
      sp->close(ignored);
    });
    return;
  }
  const auto ex = conn->executor();
  net::co_spawn(ex, connection::run(std::move(conn)),
                [](std::exception_ptr e) { report_exception("http connection", e); });
}

void server_core::stop(std::chrono::milliseconds grace) {
  std::vector<std::shared_ptr<connection>> live;
  {
    std::lock_guard lock(mtx);
    if (stopping) return;
    stopping = true;
    live.reserve(conns.size());
    for (auto& [ptr, weak] : conns) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  if (ioc.stopped()) return;
  net::post(acceptor_strand, [self = shared_from_this()] {
    if (self->acceptor) {
      error_code ec;
      self->acceptor->close(ec);
    }
  });
  if (grace.count() < 0) grace = 0ms;
  for (auto& c : live) c->begin_stop(grace);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct http_server::impl {
  std::shared_ptr<server_core> core;
};

http_server::http_server(io_runtime& rt, http_server_options options, http_handler handler)
    : impl_(std::make_shared<impl>()) {
  impl_->core = std::make_shared<server_core>(*static_cast<net::io_context*>(rt.native_context()),
                                              std::move(options), std::move(handler));
}

http_server::~http_server() {
  if (!impl_) return;
  impl_->core->destroyed.store(true);
  impl_->core->stop(0ms);
}

void http_server::start() { impl_->core->start(); }

std::string http_server::local_endpoint() const {
  std::lock_guard lock(impl_->core->mtx);
  return impl_->core->local;
}

void http_server::stop(std::chrono::milliseconds grace) { impl_->core->stop(grace); }

}  // namespace patchbay::kit
