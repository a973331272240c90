// One HTTP/1.1 request: a coroutine on its own strand, with a phase timer (connect,
// TLS handshake, first byte, idle between body reads) and a total timer. A timer that fires
// records why and closes the socket; the coroutine then sees its operation fail and reports the
// recorded reason. Everything (coroutine and timer handlers) runs on the request's strand.
//
// `done` is owed exactly once. Besides the normal end, two paths settle it when the runtime goes
// away first: a stop hook (io_runtime::stop(), after the runtime's threads are joined, so nothing
// runs on the strand any more) reports "aborted"; and if the request object is destroyed unfinished
// (its handlers destroyed with the io_context, e.g. http_fetch_blocking's), its destructor does.
//
// Connection reuse (http_pool.hpp): the request takes an idle connection of its origin from the
// runtime's pool when it may (reuse_connection, no on_body_chunk), and gives it back only after a
// complete keep-alive response with nothing left unread. A pooled connection that fails before
// any byte of the answer arrived (the peer closed it meanwhile) is closed, and the request is sent
// once more on a fresh connection when that is safe (an idempotent method or retry_safe), within
// the same total deadline; otherwise its error is reported. Each pooled connection holds a slot of
// its origin's limit (the request holds it while it opens one); past the limit the request waits
// in the pool's queue (get_connection) under the connect deadline, woken on its strand.
#include "http_fetch_op.hpp"

#include "diagnostics_detail.hpp"
#include "http_body_file.hpp"
#include "http_pool.hpp"
#include "patchbay/kit/runtime.hpp"
#include "runtime_context.hpp"
#include "text_util.hpp"
#include "tls.hpp"
#include "tls_contexts.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>

#include <array>
#include <optional>
#include <vector>

namespace patchbay::kit::detail {

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

bool idempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

// ---------------------------------------------------------------------------------------------

class fetch_op : public std::enable_shared_from_this<fetch_op> {
 public:
  fetch_op(const net::any_io_executor& ex, http_client_request req, parsed_url url,
           http_client_callback done)
      : ex_(ex),
        req_(std::move(req)),
        url_(std::move(url)),
        done_(std::move(done)),
        resolver_(ex),
        phase_timer_(ex),
        total_timer_(ex),
        wait_timer_(ex) {}

  ~fetch_op() {
    // Destroyed unfinished: the runtime (or http_fetch_blocking's io_context) was torn down with
    // the request pending and no stop hook settled it. Must not touch the runtime from here (this
    // may run inside the io_context's destructor).
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    call_done(done, "aborted", {});
  }

  fetch_op(const fetch_op&) = delete;
  fetch_op& operator=(const fetch_op&) = delete;

  // `rc` is the runtime's context, or null for a private io_context (http_fetch_blocking).
  static void start(std::shared_ptr<fetch_op> op, runtime_context* rc) {
    if (rc) {
      op->rc_ = rc;
      op->stop_hook_ = rc->on_stop([w = std::weak_ptr<fetch_op>(op)] {
        if (auto self = w.lock()) self->finish("aborted", true);
      });
      if (op->stop_hook_ == 0) {  // the runtime is already stopping
        op->finish("aborted", true);
        return;
      }
      op->pool_ = http_pool::of(*rc);
      op->pooling_ = op->req_.reuse_connection && !op->req_.on_body_chunk && !op->pool_.expired();
    }
    if (op->req_.cancel) {
      // Cancelled before it started: perform() sees the reason at once and sends nothing.
      std::weak_ptr<fetch_op> w = op;
      const bool attached = op->req_.cancel->attach([w, ex = op->ex_] {
        net::post(ex, [w] {
          if (auto self = w.lock()) self->on_timeout("cancelled");
        });
      });
      if (!attached) op->timeout_reason_ = "cancelled";
    }
    auto ex = op->ex_;
    auto keep = op;
    net::co_spawn(ex, run(std::move(op)), [keep](const std::exception_ptr& e) {
      if (!e || keep->finished_) return;
      std::string what = "internal error";
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex2) {
        what += ": ";
        what += ex2.what();
      } catch (...) {
      }
      keep->finish(std::move(what));
    });
  }

 private:
  static net::awaitable<void> run(std::shared_ptr<fetch_op> self) {
    std::string err = co_await self->perform();
    self->finish(std::move(err));
  }

  net::awaitable<std::string> perform();
  // From the pool: an idle connection (conn_), a slot to open one (slot_), waiting for either when
  // the origin's limit is reached. Empty on success, else the error to report.
  net::awaitable<std::string> get_connection(http_pool& pool);
  std::string build_request();
  net::awaitable<std::string> open();
  // `stale`: set when it failed before any byte of the answer arrived (and not by a deadline).
  net::awaitable<std::string> exchange(bool& stale);
  template <class Stream>
  net::awaitable<std::string> exchange_on(Stream& stream, bool& stale);

  // On the strand, or from the stop hook once nothing runs on the strand any more.
  void finish(std::string error, bool runtime_stopped = false) {
    if (finished_) return;
    finished_ = true;
    if (req_.cancel) req_.cancel->detach();
    if (runtime_stopped) {
      response_ = {};  // (the hooks are already taken: nothing to unregister)
    } else if (rc_) {
      rc_->cancel_on_stop(stop_hook_);
    }
    ++phase_gen_;
    phase_timer_.cancel();
    total_timer_.cancel();
    wait_timer_.cancel();
    resolver_.cancel();
    close_socket();
    release_pool_place();
    auto done = std::move(done_);
    done_ = nullptr;
    call_done(done, std::move(error), std::move(response_));
  }

  static void call_done(const http_client_callback& done, std::string error,
                        http_client_response response) noexcept {
    call_quietly("http_fetch callback", done, std::move(error), std::move(response));
  }

  void close_socket() {
    if (conn_) conn_->close();
  }

  // After close_socket(): gives back the origin's slot this request held (its connection's, or
  // the one to open a connection with), or its place in the queue (what it was granted meanwhile
  // goes back to the pool).
  void release_pool_place() noexcept {
    if (waiter_) {
      if (auto pool = pool_.lock()) {
        std::unique_ptr<client_conn> granted;
        pool_slot granted_slot;
        if (pool->settle(waiter_, granted, granted_slot) && granted)
          pool->give_back(std::move(granted));
      }
      waiter_.reset();
    }
    slot_.reset();
    if (conn_) conn_->slot.reset();
  }

  void on_timeout(const char* what) {
    if (finished_ || !timeout_reason_.empty()) return;
    timeout_reason_ = what;
    resolver_.cancel();
    wait_timer_.cancel();
    close_socket();
  }

  void arm_phase(std::chrono::milliseconds d, const char* what) {
    const auto gen = ++phase_gen_;
    phase_timer_.expires_after(d);
    phase_timer_.async_wait([self = shared_from_this(), gen, what](const error_code& ec) {
      if (!ec && gen == self->phase_gen_) self->on_timeout(what);
    });
  }

  void disarm_phase() {
    ++phase_gen_;
    phase_timer_.cancel();
  }

  // A piece of a 2xx body into body_file, through body_file_filter when one is set (`last`: the
  // filter's final call, after the last piece): "" or the error.
  std::string write_body_file(http_body_file& file, std::string_view piece, bool last) {
    if (!req_.body_file_filter) return last ? std::string() : file.write(piece);
    filtered_.clear();
    bool go_on = false;
    try {
      go_on = req_.body_file_filter(piece, last, filtered_);
    } catch (...) {
      report_callback_exception("body_file_filter", std::current_exception());
    }
    if (finished_ || !go_on) return "aborted";
    return file.write(filtered_);
  }

  net::any_io_executor ex_;
  runtime_context* rc_ = nullptr;
  std::uint64_t stop_hook_ = 0;
  http_client_request req_;
  parsed_url url_;
  http_client_callback done_;
  http_client_response response_;

  std::weak_ptr<http_pool> pool_;  // the runtime's pool (its figures); empty without a runtime
  bool pooling_ = false;           // take and give back connections (else: one of its own)
  std::shared_ptr<client_tls> tls_ctx_;
  std::string key_;  // the origin key (http_pool.hpp)
  std::unique_ptr<client_conn> conn_;
  pool_slot slot_;  // the origin's slot held before conn_ exists (or between two connections)
  std::shared_ptr<pool_waiter> waiter_;  // queued for a connection (get_connection)
  http::request<http::string_body> request_;

  tcp::resolver resolver_;
  net::steady_timer phase_timer_;
  net::steady_timer total_timer_;
  net::steady_timer wait_timer_;  // a queued request sleeps on it; the pool's wake cancels it
  std::uint64_t phase_gen_ = 0;
  std::string timeout_reason_;
  bool finished_ = false;

  beast::flat_buffer buf_;
  std::array<char, std::size_t{16} * 1024> body_buf_;
  std::string filtered_;  // body_file_filter's output for one piece
};

net::awaitable<std::string> fetch_op::perform() {
  if (!timeout_reason_.empty()) co_return timeout_reason_;  // cancelled before it started
  total_timer_.expires_after(req_.total_timeout);
  total_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->on_timeout("total timeout");
  });
  if (auto why = build_request(); !why.empty()) co_return why;
  if (url_.tls) {
    std::string ctx_error;
    tls_ctx_ = client_tls_for(req_.ca_file, ctx_error);
    if (!tls_ctx_) co_return "tls: " + ctx_error;
  }
  key_ = (url_.tls ? "https://" : "http://") + url_.host + ':' + url_.port;
  if (tls_ctx_) key_ += '#' + std::to_string(tls_ctx_->id());

  auto pool = pooling_ ? pool_.lock() : nullptr;
  if (pool) {
    if (auto err = co_await get_connection(*pool); !err.empty()) co_return err;
  }
  if (conn_) {
    bool stale = false;
    std::string err = co_await exchange(stale);
    if (!stale) co_return err;
    // The peer closed the idle connection meanwhile (or reset it) and saw nothing of this request
    // that it answered: resend once on a fresh connection, if that is safe.
    pool->count_stale();
    slot_ = std::move(conn_->slot);  // the fresh connection takes the dead one's place
    conn_.reset();
    if (!idempotent(req_.method) && !req_.retry_safe) co_return err;
    pool->count_retried();
  }
  if (auto err = co_await open(); !err.empty()) co_return err;
  bool unused = false;
  co_return co_await exchange(unused);
}

net::awaitable<std::string> fetch_op::get_connection(http_pool& pool) {
  auto got = pool.acquire(key_, [w = weak_from_this(), ex = ex_] {
    net::post(ex, [w] {
      if (auto self = w.lock()) self->wait_timer_.cancel();
    });
  });
  if (got.full) co_return "connection pool queue full";
  conn_ = std::move(got.conn);
  slot_ = std::move(got.slot);
  if (!got.waiter) co_return std::string{};
  // The origin's limit is reached: wait (within the connect deadline) for a connection given back
  // or a slot freed. Only the pool's wake, a deadline or a cancellation ends the wait.
  waiter_ = std::move(got.waiter);
  arm_phase(req_.connect_timeout, "connect timeout");
  if (timeout_reason_.empty()) {
    wait_timer_.expires_at(net::steady_timer::time_point::max());
    co_await wait_timer_.async_wait(use_tuple);
  }
  const bool granted = pool.settle(waiter_, conn_, slot_);
  waiter_.reset();
  disarm_phase();
  if (!timeout_reason_.empty()) {
    if (conn_) pool.give_back(std::move(conn_));  // granted in the same instant: pass it on
    slot_.reset();
    co_return timeout_reason_;
  }
  if (!granted) co_return "internal error: woken without a connection";
  co_return std::string{};
}

net::awaitable<std::string> fetch_op::open() {
  if (!timeout_reason_.empty()) co_return timeout_reason_;
  // Resolve + connect, one deadline.
  arm_phase(req_.connect_timeout, "connect timeout");
  std::vector<tcp::endpoint> endpoints;
  const unsigned short port = static_cast<unsigned short>(std::stoul(url_.port));
  if (url_.literal) {
    endpoints.emplace_back(*url_.literal, port);
  } else {
    auto [ec, results] = co_await resolver_.async_resolve(url_.host, url_.port, use_tuple);
    if (!timeout_reason_.empty()) co_return timeout_reason_;
    if (ec) co_return "resolve failed: " + ec.message();
    for (const auto& r : results) endpoints.push_back(r.endpoint());
    if (endpoints.empty()) co_return "resolve failed: no address";
  }
  conn_ = std::make_unique<client_conn>(ex_);
  conn_->key = key_;
  conn_->slot = std::move(slot_);
  {
    auto [ec, ep] = co_await net::async_connect(conn_->sock, endpoints, use_tuple);
    (void)ep;
    if (!timeout_reason_.empty()) co_return timeout_reason_;
    if (ec == net::error::connection_refused) co_return "connection refused";
    if (ec) co_return "connect failed: " + ec.message();
  }
  auto pool = pool_.lock();
  if (pool) pool->count_opened();
  error_code ignored;
  conn_->sock.set_option(tcp::no_delay(true), ignored);
  if (!url_.tls) co_return std::string{};

  conn_->tls_ctx = tls_ctx_;
  conn_->tls.emplace(std::move(conn_->sock), tls_ctx_->context());
  if (auto why = prepare_client_tls(*conn_->tls, url_); !why.empty()) co_return why;
  tls_ctx_->prepare(conn_->tls->native_handle(), url_.host + ':' + url_.port);
  arm_phase(req_.connect_timeout, "tls: handshake timeout");
  {
    auto [ec] = co_await conn_->tls->async_handshake(ssl::stream_base::client, use_tuple);
    if (!timeout_reason_.empty()) co_return timeout_reason_;
    if (ec) co_return tls_error_text(ec, conn_->tls->native_handle());
  }
  if (pool && SSL_session_reused(conn_->tls->native_handle()) == 1) pool->count_resumed();
  co_return std::string{};
}

std::string fetch_op::build_request() {
  http::request<http::string_body>& request = request_;
  const auto verb = http::string_to_verb(req_.method);
  if (verb == http::verb::unknown) {
    if (!is_token(req_.method)) return "bad method";
    request.method_string(req_.method);
  } else {
    request.method(verb);
  }
  request.target(url_.target);
  request.version(11);
  bool has_host = false;
  bool has_connection = false;
  bool has_agent = false;
  for (const auto& [name, value] : req_.headers) {
    if (!is_token(name) || has_crlf(value)) continue;
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    has_host = has_host || iequals(name, "host");
    has_connection = has_connection || iequals(name, "connection");
    has_agent = has_agent || iequals(name, "user-agent");
    request.insert(name, value);
  }
  if (!has_host) request.set(http::field::host, url_.host_header);
  // Pooled: HTTP/1.1 keeps the connection by default. Otherwise ask the server to close it.
  if (!has_connection && !pooling_) request.set(http::field::connection, "close");
  if (!has_agent) request.set(http::field::user_agent, "patchbay");
  request.body() = std::move(req_.body);
  request.prepare_payload();
  return {};
}

net::awaitable<std::string> fetch_op::exchange(bool& stale) {
  buf_.consume(buf_.size());
  if (conn_->tls) co_return co_await exchange_on(*conn_->tls, stale);
  co_return co_await exchange_on(conn_->sock, stale);
}

template <class Stream>
net::awaitable<std::string> fetch_op::exchange_on(Stream& stream, bool& stale) {
  const http::request<http::string_body>& request = request_;
  // Writing the request and waiting for the response header share the first-byte deadline.
  arm_phase(req_.first_byte_timeout, "first byte timeout");
  {
    auto [ec, n] = co_await http::async_write(stream, request, use_tuple);
    (void)n;
    if (!timeout_reason_.empty()) co_return timeout_reason_;
    stale = ec.failed();
    if (ec) co_return "write failed: " + ec.message();
  }

  http::response_parser<http::buffer_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(boost::none);  // enforced below (only when accumulating)
  if (request.method() == http::verb::head) parser.skip(true);
  {
    auto [ec, n] = co_await http::async_read_header(stream, buf_, parser, use_tuple);
    (void)n;
    if (!timeout_reason_.empty()) co_return timeout_reason_;
    stale = ec.failed() && !parser.got_some() && buf_.size() == 0;
    if (ec == http::error::end_of_stream) co_return "connection closed before the response";
    if (ec == http::error::header_limit) co_return "response header too large";
    if (ec) co_return "read failed: " + ec.message();
  }
  auto& head = parser.get();
  response_.status = head.result_int();
  for (const auto& field : head)
    response_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  if (req_.on_head) {
    bool go_on = false;
    try {
      go_on = req_.on_head(response_.status, response_.headers);
    } catch (...) {
      report_callback_exception("on_head", std::current_exception());
    }
    if (finished_ || !go_on) co_return "aborted";
  }
  // A 2xx answer goes to body_file when one is set; other answers are accumulated as usual.
  const bool to_file =
      !req_.on_body_chunk && !req_.body_file.empty() && response_.status / 100 == 2;
  const bool accumulate = !req_.on_body_chunk && !to_file;
  if ((accumulate || to_file) && parser.content_length() &&
      *parser.content_length() > req_.max_body_bytes)
    co_return "body too large";
  http_body_file file;
  std::size_t file_bytes = 0;
  if (to_file) {
    if (auto e = file.open(req_.body_file); !e.empty()) co_return e;
  }

  while (!parser.is_done()) {
    head.body().data = body_buf_.data();
    head.body().size = body_buf_.size();
    arm_phase(req_.idle_timeout, "idle timeout");
    auto [ec, n] = co_await http::async_read_some(stream, buf_, parser, use_tuple);
    (void)n;
    if (!timeout_reason_.empty()) co_return timeout_reason_;
    if (ec == http::error::need_buffer) ec = {};
    if (ec == ssl::error::stream_truncated && parser.need_eof()) {
      ec = {};  // TLS peer closed without close_notify on an EOF-delimited body: that is the end
      parser.put_eof(ec);
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message)
      co_return "connection closed mid-body";
    if (ec) co_return "read failed: " + ec.message();
    const std::size_t got = body_buf_.size() - head.body().size;
    if (got == 0) continue;
    if (to_file) {
      if (file_bytes + got > req_.max_body_bytes) co_return "body too large";
      file_bytes += got;
      if (auto e = write_body_file(file, std::string_view(body_buf_.data(), got), false);
          !e.empty())
        co_return e;
    } else if (accumulate) {
      if (response_.body.size() + got > req_.max_body_bytes) co_return "body too large";
      response_.body.append(body_buf_.data(), got);
    } else {
      bool go_on = false;
      try {
        go_on = req_.on_body_chunk(std::string_view(body_buf_.data(), got));
      } catch (...) {
        report_callback_exception("on_body_chunk", std::current_exception());
      }
      if (finished_) co_return "aborted";
      if (!go_on) co_return "aborted";
    }
  }
  disarm_phase();
  if (to_file) {
    if (auto e = write_body_file(file, {}, true); !e.empty()) co_return e;
    if (auto e = file.close(); !e.empty()) co_return e;
  }
  ++conn_->requests;
  // Fit for another request: a complete keep-alive answer (not ended by EOF), nothing unread, and
  // neither side asked to close.
  const bool reusable =
      parser.keep_alive() && buf_.size() == 0 && response_.status != 101 && request.keep_alive();
  if (reusable && pooling_) {
    if (auto pool = pool_.lock()) pool->give_back(std::move(conn_));
  }
  co_return std::string{};
}

}  // namespace

void start_fetch(const net::any_io_executor& ex, runtime_context* rc, http_client_request req,
                 parsed_url url, http_client_callback done) {
  fetch_op::start(std::make_shared<fetch_op>(ex, std::move(req), std::move(url), std::move(done)),
                  rc);
}

}  // namespace patchbay::kit::detail
