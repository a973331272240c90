// The HTTP/1.1 server's connections, reading a request: wait for it (keep-alive), read its header,
// apply the admission rules on the header alone (a reserve connection serves priority paths only,
// the application's screen, the body limit, the body budget), then read the body (after a
// 100 Continue when asked for one). A request refused on its header is answered with
// Connection: close without reading its body. See http_connection.hpp.
#include "diagnostics_detail.hpp"
#include "http_connection.hpp"
#include "text_util.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <limits>

namespace patchbay::kit::server_detail {

namespace {

http_response with_retry_after(http_response r) {
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace

// A reserve connection gets a short deadline for its header.
template <class Stream>
std::chrono::milliseconds http_connection<Stream>::header_timeout() const {
  const auto& opt = core_->opt;
  return in_reserve() ? std::min(opt.header_timeout, opt.reserve_header_timeout)
                      : opt.header_timeout;
}

// Idle: waits for the first bytes of the next request (keep-alive), unless already buffered.
template <class Stream>
net::awaitable<bool> http_connection<Stream>::wait_for_request(bool first) {
  if (buf_.size() != 0) co_return true;
  phase_ = phase::idle;
  lowest().expires_after(first ? header_timeout() : core_->opt.idle_timeout);
  auto [ec, n] = co_await stream_.async_read_some(buf_.prepare(4096), use_tuple);
  if (closed_ || ec) co_return false;
  buf_.commit(n);
  co_return true;
}

// The header, the admission rules, then the body. `head` gets the request without its body,
// `body` the body's share of the budget. False when the connection is done: closed, or answered
// (an error, or a refusal on the header).
template <class Stream>
net::awaitable<bool> http_connection<Stream>::read_request(request_parser& parser,
                                                           http_request& head,
                                                           body_reservation& body) {
  const auto& opt = core_->opt;
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(opt.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  // The header is read without a body limit (Beast would refuse a large Content-Length before
  // the screen saw the request); apply_body_limit() sets the request's own.
  parser.body_limit(boost::none);

  lowest().expires_after(header_timeout());
  {
    auto [ec, n] = co_await http::async_read_header(stream_, buf_, parser, use_tuple);
    (void)n;
    if (closed_) co_return false;
    if (ec) {
      co_await fail_request(ec);
      co_return false;
    }
  }
  head = make_head(parser);
  if (auto refusal = admission_answer(head)) {
    co_await send_and_linger(std::move(*refusal));
    co_return false;
  }
  if (!apply_body_limit(parser, head)) {
    co_await fail_request(http::error::body_limit);
    co_return false;
  }
  if (parser.is_done()) co_return true;
  co_return co_await read_body(parser, body);
}

template <class Stream>
http_request http_connection<Stream>::make_head(const request_parser& parser) const {
  const auto& msg = parser.get();
  http_request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  const auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  req.headers.reserve(16);
  for (const auto& field : msg)
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.remote_address = remote_;
  return req;
}

// The answer to a request refused on its header alone, or nullopt to go on: a reserve connection
// serves priority paths only (503), then the application's screen decides.
template <class Stream>
std::optional<http_response> http_connection<Stream>::admission_answer(const http_request& head) {
  const auto& opt = core_->opt;
  if (in_reserve() && !is_priority_path(opt.priority_paths, head.path))
    return with_retry_after(simple_response(503, "too many connections"));
  if (!opt.screen) return std::nullopt;
  try {
    return opt.screen(head);
  } catch (...) {
    detail::report_callback_exception("http screen", std::current_exception());
    return simple_response(500, "internal error");
  }
}

// The request's body limit (per method and path, when the options choose it): false when the
// declared length is over it already. A chunked body is checked as it is read.
template <class Stream>
bool http_connection<Stream>::apply_body_limit(request_parser& parser, const http_request& head) {
  const auto& opt = core_->opt;
  const std::size_t limit =
      opt.max_body_bytes_for ? opt.max_body_bytes_for(head.method, head.path) : opt.max_body_bytes;
  if (parser.content_length() && *parser.content_length() > limit) return false;
  parser.body_limit(static_cast<std::uint64_t>(limit));
  return true;
}

// The body, within the body budget: a declared length is reserved whole before anything is read
// (and before a 100 Continue), a chunked body's share grows with it; past the budget: 503.
template <class Stream>
net::awaitable<bool> http_connection<Stream>::read_body(request_parser& parser,
                                                        body_reservation& body) {
  const auto& opt = core_->opt;
  auto busy = [] {
    return with_retry_after(simple_response(503, "server busy: too many request bodies"));
  };
  if (const auto length = parser.content_length(); length && !body.grow_to(*length)) {
    co_await send_and_linger(busy());
    co_return false;
  }
  const auto expect = parser.get()[http::field::expect];
  if (detail::iequals(expect, "100-continue")) {
    static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
    lowest().expires_after(opt.write_timeout);
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(continue_line), use_tuple);
    (void)n;
    if (closed_ || ec) co_return false;
  }
  lowest().expires_after(opt.body_timeout);
  while (!parser.is_done()) {
    auto [ec, n] = co_await http::async_read_some(stream_, buf_, parser, use_tuple);
    (void)n;
    if (closed_) co_return false;
    if (ec) {
      co_await fail_request(ec);
      co_return false;
    }
    if (!body.grow_to(parser.get().body().size())) {
      co_await send_and_linger(busy());
      co_return false;
    }
  }
  co_return true;
}

template <class Stream>
net::awaitable<void> http_connection<Stream>::fail_request(const error_code& ec) {
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

// The members defined here, for both streams (the class is instantiated in http_connection.cpp).
template std::chrono::milliseconds http_connection<beast::tcp_stream>::header_timeout() const;
template std::chrono::milliseconds http_connection<tls_stream>::header_timeout() const;
template net::awaitable<bool> http_connection<beast::tcp_stream>::wait_for_request(bool);
template net::awaitable<bool> http_connection<tls_stream>::wait_for_request(bool);
template net::awaitable<bool> http_connection<beast::tcp_stream>::read_request(request_parser&,
                                                                               http_request&,
                                                                               body_reservation&);
template net::awaitable<bool> http_connection<tls_stream>::read_request(request_parser&,
                                                                        http_request&,
                                                                        body_reservation&);
template http_request http_connection<beast::tcp_stream>::make_head(const request_parser&) const;
template http_request http_connection<tls_stream>::make_head(const request_parser&) const;
template std::optional<http_response> http_connection<beast::tcp_stream>::admission_answer(
    const http_request&);
template std::optional<http_response> http_connection<tls_stream>::admission_answer(
    const http_request&);
template bool http_connection<beast::tcp_stream>::apply_body_limit(request_parser&,
                                                                   const http_request&);
template bool http_connection<tls_stream>::apply_body_limit(request_parser&, const http_request&);
template net::awaitable<bool> http_connection<beast::tcp_stream>::read_body(request_parser&,
                                                                            body_reservation&);
template net::awaitable<bool> http_connection<tls_stream>::read_body(request_parser&,
                                                                     body_reservation&);
template net::awaitable<void> http_connection<beast::tcp_stream>::fail_request(const error_code&);
template net::awaitable<void> http_connection<tls_stream>::fail_request(const error_code&);

}  // namespace patchbay::kit::server_detail
