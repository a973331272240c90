// The HTTP/1.1 client: one coroutine per request on its own strand, with a phase timer (connect,
// TLS handshake, first byte, idle between body reads) and a total timer. A timer that fires
// records why and closes the socket; the coroutine then sees its operation fail and reports the
// recorded reason. Everything (coroutine and timer handlers) runs on the request's strand.
//
// `done` is owed exactly once. Besides the normal end, two paths settle it when the runtime goes
// away first: a stop hook (io_runtime::stop(), after the runtime's threads are joined, so nothing
// runs on the strand any more) reports "aborted"; and if the request object is destroyed unfinished
// (its handlers destroyed with the io_context, e.g. http_fetch_blocking's), its destructor does.
#include "patchbay/kit/http_client.hpp"

#include "diagnostics_detail.hpp"
#include "patchbay/kit/runtime.hpp"
#include "runtime_context.hpp"
#include "text_util.hpp"
#include "tls.hpp"
#include "url.hpp"

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
#include <mutex>
#include <optional>
#include <vector>

namespace patchbay::kit {

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

using detail::has_crlf;
using detail::iequals;
using detail::is_token;

// URL parsing and TLS set-up are shared with the WebSocket client (url.hpp, tls.hpp).
using detail::parse_url;
using detail::parsed_url;
using detail::tls_context;

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
        sock_(ex),
        phase_timer_(ex),
        total_timer_(ex) {}

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
  static void start(std::shared_ptr<fetch_op> op, detail::runtime_context* rc) {
    if (rc) {
      op->rc_ = rc;
      op->stop_hook_ = rc->on_stop([w = std::weak_ptr<fetch_op>(op)] {
        if (auto self = w.lock()) self->finish("aborted", true);
      });
      if (op->stop_hook_ == 0) {  // the runtime is already stopping
        op->finish("aborted", true);
        return;
      }
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
  template <class Stream>
  net::awaitable<std::string> exchange(Stream& stream);
  std::string tls_error(const error_code& ec);

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
    resolver_.cancel();
    close_socket();
    auto done = std::move(done_);
    done_ = nullptr;
    call_done(done, std::move(error), std::move(response_));
  }

  static void call_done(const http_client_callback& done, std::string error,
                        http_client_response response) noexcept {
    detail::call_quietly("http_fetch callback", done, std::move(error), std::move(response));
  }

  void close_socket() {
    error_code ec;
    tcp::socket& s = tls_ ? tls_->next_layer() : sock_;
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
  }

  void on_timeout(const char* what) {
    if (finished_ || !timeout_reason_.empty()) return;
    timeout_reason_ = what;
    resolver_.cancel();
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

  net::any_io_executor ex_;
  detail::runtime_context* rc_ = nullptr;
  std::uint64_t stop_hook_ = 0;
  http_client_request req_;
  parsed_url url_;
  http_client_callback done_;
  http_client_response response_;

  tcp::resolver resolver_;
  tcp::socket sock_;
  std::shared_ptr<ssl::context> tls_ctx_;
  std::optional<ssl::stream<tcp::socket>> tls_;
  net::steady_timer phase_timer_;
  net::steady_timer total_timer_;
  std::uint64_t phase_gen_ = 0;
  std::string timeout_reason_;
  bool finished_ = false;

  beast::flat_buffer buf_;
  std::array<char, std::size_t{16} * 1024> body_buf_;
};

net::awaitable<std::string> fetch_op::perform() {
  if (!timeout_reason_.empty()) co_return timeout_reason_;  // cancelled before it started
  total_timer_.expires_after(req_.total_timeout);
  total_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->on_timeout("total timeout");
  });

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
  {
    auto [ec, ep] = co_await net::async_connect(sock_, endpoints, use_tuple);
    (void)ep;
    if (!timeout_reason_.empty()) co_return timeout_reason_;
    if (ec == net::error::connection_refused) co_return "connection refused";
    if (ec) co_return "connect failed: " + ec.message();
  }
  error_code ignored;
  sock_.set_option(tcp::no_delay(true), ignored);

  if (!url_.tls) co_return co_await exchange(sock_);

  std::string ctx_error;
  tls_ctx_ = tls_context(req_.ca_file, ctx_error);
  if (!tls_ctx_) co_return "tls: " + ctx_error;
  tls_.emplace(std::move(sock_), *tls_ctx_);
  if (auto why = detail::prepare_client_tls(*tls_, url_); !why.empty()) co_return why;
  arm_phase(req_.connect_timeout, "tls: handshake timeout");
  {
    auto [ec] = co_await tls_->async_handshake(ssl::stream_base::client, use_tuple);
    if (!timeout_reason_.empty()) co_return timeout_reason_;
    if (ec) co_return tls_error(ec);
  }
  co_return co_await exchange(*tls_);
}

std::string fetch_op::tls_error(const error_code& ec) {
  return detail::tls_error_text(ec, tls_->native_handle());
}

template <class Stream>
net::awaitable<std::string> fetch_op::exchange(Stream& stream) {
  http::request<http::string_body> request;
  const auto verb = http::string_to_verb(req_.method);
  if (verb == http::verb::unknown) {
    if (!is_token(req_.method)) co_return "bad method";
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
  if (!has_connection) request.set(http::field::connection, "close");
  if (!has_agent) request.set(http::field::user_agent, "patchbay");
  request.body() = std::move(req_.body);
  request.prepare_payload();

  // Writing the request and waiting for the response header share the first-byte deadline.
  arm_phase(req_.first_byte_timeout, "first byte timeout");
  {
    auto [ec, n] = co_await http::async_write(stream, request, use_tuple);
    (void)n;
    if (!timeout_reason_.empty()) co_return timeout_reason_;
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
    if (ec == http::error::end_of_stream) co_return "connection closed before the response";
    if (ec == http::error::header_limit) co_return "response header too large";
    if (ec) co_return "read failed: " + ec.message();
  }
  auto& head = parser.get();
  response_.status = head.result_int();
  for (const auto& field : head)
    response_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  const bool accumulate = !req_.on_body_chunk;
  if (accumulate && parser.content_length() && *parser.content_length() > req_.max_body_bytes)
    co_return "body too large";

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
    if (accumulate) {
      if (response_.body.size() + got > req_.max_body_bytes) co_return "body too large";
      response_.body.append(body_buf_.data(), got);
    } else {
      bool go_on = false;
      try {
        go_on = req_.on_body_chunk(std::string_view(body_buf_.data(), got));
      } catch (...) {
        detail::report_callback_exception("on_body_chunk", std::current_exception());
      }
      if (finished_) co_return "aborted";
      if (!go_on) co_return "aborted";
    }
  }
  disarm_phase();
  co_return std::string{};
}

}  // namespace

void http_cancel::cancel() noexcept {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    fn = std::move(on_cancel_);
    on_cancel_ = nullptr;
  }
  detail::call_quietly("http_cancel hook", fn);
}

bool http_cancel::cancelled() const noexcept {
  std::lock_guard lock(mu_);
  return cancelled_;
}

bool http_cancel::attach(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (cancelled_) return false;
  on_cancel_ = std::move(fn);
  return true;
}

void http_cancel::detach() noexcept {
  std::function<void()> unused;  // released unlocked
  std::lock_guard lock(mu_);
  unused = std::move(on_cancel_);
  on_cancel_ = nullptr;
}

void http_fetch(io_runtime& rt, http_client_request request, http_client_callback done) {
  auto& rc = detail::runtime_context::of(rt);
  parsed_url url;
  std::string why = parse_url(request.url, url);
  if (!why.empty()) {
    rc.post_or_on_stop([done = std::move(done), why = "bad url: " + why]() mutable {
      if (done) done(std::move(why), http_client_response{});
    });
    return;
  }
  auto op = std::make_shared<fetch_op>(net::make_strand(rc), std::move(request), std::move(url),
                                       std::move(done));
  fetch_op::start(std::move(op), &rc);
}

void http_fetch_blocking(http_client_request request, std::string& error,
                         http_client_response& response) {
  parsed_url url;
  std::string why = parse_url(request.url, url);
  if (!why.empty()) {
    error = "bad url: " + why;
    response = {};
    return;
  }
  bool completed = false;  // declared before the io_context: outlives anything that could call back
  net::io_context ioc{1};
  auto op = std::make_shared<fetch_op>(ioc.get_executor(), std::move(request), std::move(url),
                                       [&](std::string e, http_client_response r) {
                                         completed = true;
                                         error = std::move(e);
                                         response = std::move(r);
                                       });
  fetch_op::start(std::move(op), nullptr);
  ioc.run();
  if (!completed) {
    error = "internal error: request did not complete";
    response = {};
  }
}

}  // namespace patchbay::kit
