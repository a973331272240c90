// The HTTP/1.1 server's connections, writing the answer: the handler's response, or its stream
// (chunked, with the read that notices the peer going away meanwhile), and the error answers sent
// with Connection: close before lingering. See http_connection.hpp.
#include "http_connection.hpp"
#include "text_util.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <cstdio>

namespace patchbay::kit::server_detail {

namespace {

using detail::has_crlf;
using detail::iequals;
using detail::is_token;

// Headers the server manages itself; a handler's values for them are ignored (and Content-Type
// too when the response's content_type field is set).
bool reserved_header(std::string_view name) noexcept {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection");
}

// The application's headers and content type onto `res`, without the reserved ones.
template <class Message>
void copy_headers(Message& res, const std::string& content_type, const http_headers& headers) {
  if (!content_type.empty() && !has_crlf(content_type))
    res.set(http::field::content_type, content_type);
  for (const auto& [name, value] : headers) {
    if (!is_token(name) || has_crlf(value) || reserved_header(name)) continue;
    if (!content_type.empty() && iequals(name, "content-type")) continue;
    res.insert(name, value);
  }
}

}  // namespace

// Writes the handler's answer: its response, or its stream. True when the connection may serve
// another request.
template <class Stream>
net::awaitable<bool> http_connection<Stream>::send_answer(unsigned version, bool keep_alive,
                                                          bool head) {
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
net::awaitable<void> http_connection<Stream>::send_error_and_linger(unsigned status,
                                                                    std::string_view message) {
  co_await send_and_linger(simple_response(status, message));
}

// Answers with `r` and Connection: close, then half-closes and drains what the client still sends
// for a moment (at most 1 MiB, into a scratch buffer), so that it reads the answer instead of a
// connection reset.
template <class Stream>
net::awaitable<void> http_connection<Stream>::send_and_linger(http_response r) {
  phase_ = phase::writing;
  // (The check reads the coroutine's parameter copy as a loop: `r` is moved once.)
  // NOLINTNEXTLINE(bugprone-use-after-move)
  if (!co_await write_response(std::move(r), 11, false, false)) co_return;
  error_code ignored;
  lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
  lowest().expires_after(
      std::chrono::milliseconds(std::min<std::int64_t>(1000, core_->opt.write_timeout.count())));
  std::size_t drained = 0;
  std::array<char, 4096> scratch;
  while (drained < (1U << 20)) {
    auto [ec, n] = co_await stream_.async_read_some(net::buffer(scratch), use_tuple);
    if (closed_ || ec) co_return;
    drained += n;
  }
}

template <class Stream>
net::awaitable<bool> http_connection<Stream>::write_response(http_response r, unsigned version,
                                                             bool keep_alive, bool head) {
  if (!r.body_file.empty()) {
    http::file_body::value_type file;
    error_code open_ec;
    file.open(r.body_file.c_str(), beast::file_mode::scan, open_ec);
    if (!open_ec)
      co_return co_await write_file(std::move(r), std::move(file), version, keep_alive, head);
    r = simple_response(404, "the file is no longer available");
  }
  http::response<http::string_body> res;
  res.version(version == 10 ? 10 : 11);
  res.result(r.status >= 100 && r.status <= 999 ? r.status : 500U);
  copy_headers(res, r.content_type, r.headers);
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

// A response whose body is a file (http_response::body_file), written a chunk at a time; the write
// deadline applies to each chunk, so a large file to a slow but progressing peer is not cut off.
template <class Stream>
net::awaitable<bool> http_connection<Stream>::write_file(http_response r,
                                                         http::file_body::value_type file,
                                                         unsigned version, bool keep_alive,
                                                         bool head) {
  http::response<http::file_body> res;
  res.version(version == 10 ? 10 : 11);
  res.result(r.status >= 100 && r.status <= 999 ? r.status : 500U);
  copy_headers(res, r.content_type, r.headers);
  res.keep_alive(keep_alive);
  const std::uint64_t size = file.size();
  res.body() = std::move(file);
  res.content_length(size);
  error_code ec;
  if (head) {
    http::response_serializer<http::file_body> sr{res};
    lowest().expires_after(core_->opt.write_timeout);
    auto [hec, n] = co_await http::async_write_header(stream_, sr, use_tuple);
    (void)n;
    ec = hec;
  } else {
    http::response_serializer<http::file_body> sr{res};
    while (!ec && !closed_ && !sr.is_done()) {
      lowest().expires_after(core_->opt.write_timeout);
      auto [wec, n] = co_await http::async_write_some(stream_, sr, use_tuple);
      (void)n;
      ec = wec;
    }
  }
  lowest().expires_never();
  co_return !ec && !closed_;
}

// Chunked response. Returns true when the connection may serve another request.
template <class Stream>
net::awaitable<bool> http_connection<Stream>::run_stream(unsigned version, bool keep_alive,
                                                         bool head) {
  phase_ = phase::streaming;
  auto s = stream_out_;
  const bool chunked = version != 10;  // HTTP/1.0: raw body delimited by closing the connection
  const bool reuse = keep_alive && chunked && !stopping_;

  http::response<http::empty_body> res;
  res.version(chunked ? 11 : 10);
  res.result(s->status >= 100 && s->status <= 999 ? s->status : 500U);
  copy_headers(res, s->content_type, s->headers);
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
      std::array<char, 24> prefix{};
      const int len = std::snprintf(prefix.data(), prefix.size(), "%zx\r\n", chunk.size());
      const std::array<net::const_buffer, 3> bufs{
          net::buffer(prefix.data(), static_cast<std::size_t>(len)), net::buffer(chunk),
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
void http_connection<Stream>::start_detect() {
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
net::awaitable<void> http_connection<Stream>::stop_detect() {
  detect_stop_ = true;
  if (detect_pending_) {
    error_code ec;
    lowest().socket().cancel(ec);
  }
  while (detect_pending_ && !closed_) co_await wait_signal();
  detect_stop_ = false;
}

// The members defined here, for both streams (the class is instantiated in http_connection.cpp).
template net::awaitable<bool> http_connection<beast::tcp_stream>::send_answer(unsigned, bool, bool);
template net::awaitable<bool> http_connection<tls_stream>::send_answer(unsigned, bool, bool);
template net::awaitable<void> http_connection<beast::tcp_stream>::send_error_and_linger(
    unsigned, std::string_view);
template net::awaitable<void> http_connection<tls_stream>::send_error_and_linger(unsigned,
                                                                                 std::string_view);
template net::awaitable<void> http_connection<beast::tcp_stream>::send_and_linger(http_response);
template net::awaitable<void> http_connection<tls_stream>::send_and_linger(http_response);
template net::awaitable<bool> http_connection<beast::tcp_stream>::write_response(http_response,
                                                                                 unsigned, bool,
                                                                                 bool);
template net::awaitable<bool> http_connection<tls_stream>::write_response(http_response, unsigned,
                                                                          bool, bool);
template net::awaitable<bool> http_connection<beast::tcp_stream>::write_file(
    http_response, http::file_body::value_type, unsigned, bool, bool);
template net::awaitable<bool> http_connection<tls_stream>::write_file(http_response,
                                                                      http::file_body::value_type,
                                                                      unsigned, bool, bool);
template net::awaitable<bool> http_connection<beast::tcp_stream>::run_stream(unsigned, bool, bool);
template net::awaitable<bool> http_connection<tls_stream>::run_stream(unsigned, bool, bool);
template void http_connection<beast::tcp_stream>::start_detect();
template void http_connection<tls_stream>::start_detect();
template net::awaitable<void> http_connection<beast::tcp_stream>::stop_detect();
template net::awaitable<void> http_connection<tls_stream>::stop_detect();

}  // namespace patchbay::kit::server_detail
