// The strand half of a WebSocket connection, shared by the client (ws_client.cpp) and the server
// sessions (ws_server.cpp); private header, kit/src only. Included by exactly those two
// translation units: Beast's WebSocket templates are heavy.
//
// An engine owns the Beast WebSocket stream of one connection. Its owner runs the opening phase
// (connect + handshake, or accept) on the connection's strand, using arm() for that phase's
// deadline, then co_awaits pump(): the reader runs there, the writer is spawned beside it (Beast
// allows one read and one write at a time), and pump() returns once both are done, with the
// outcome classified into a ws_close_info. Requests from other threads arrive through the
// channel; the owner posts on_wake() to the strand when the channel wakes it.
//
// Everything here runs on the strand. Timer and spawned handlers keep the owner alive through the
// `keep` pointer they are given (the engine is a member of its owner).
#pragma once

#include "diagnostics_detail.hpp"
#include "patchbay/kit/ws_types.hpp"
#include "ws_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace patchbay::kit::ws_detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using error_code = boost::system::error_code;

using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct engine_limits {
  std::size_t max_message_bytes = 16 << 20;
  std::chrono::milliseconds close_timeout{5000};
  std::chrono::milliseconds idle_timeout{0};
  bool keep_alive_pings = false;
};

// Runs a user handler; an exception is reported through the diagnostic sink, never propagated.
using detail::call_quietly;

// A close code we may put in a close frame (RFC 6455 section 7.4); anything else becomes 1000.
inline std::uint16_t sendable_close_code(std::uint16_t code) noexcept {
  const bool ok = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                  (code >= 3000 && code <= 4999);
  return ok ? code : 1000;
}

// At most 123 bytes (a close frame's limit), not cutting a UTF-8 sequence.
inline std::string close_reason_text(std::string reason) {
  if (reason.size() <= 123) return reason;
  std::size_t n = 123;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  reason.resize(n);
  return reason;
}

// Text for a failed read or handshake step.
inline std::string describe_io_error(const error_code& ec, const char* what) {
  if (ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
    return "connection closed by peer without a close frame";
  }
  if (ec == net::error::connection_reset) return "connection reset by peer";
  if (ec.category() == websocket::make_error_code(websocket::error::closed).category()) {
    return std::string("protocol error: ") + ec.message();
  }
  return std::string(what) + " failed: " + ec.message();
}

template <class Ws>
class engine {
 public:
  template <class... Args>
  engine(const net::any_io_executor& ex, std::shared_ptr<channel> ch, engine_limits limits,
         bool close_waits_for_open, Args&&... stream_args)
      : ch_(std::move(ch)),
        close_waits_for_open_(close_waits_for_open),
        limits_(limits),
        ws_(std::forward<Args>(stream_args)...),
        deadline_(ex),
        reader_signal_(ex),
        writer_signal_(ex) {
    ws_.auto_fragment(false);
    ws_.read_message_max(limits_.max_message_bytes);
  }
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  Ws& ws() { return ws_; }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(ws_); }
  channel& chan() { return *ch_; }
  bool is_open() const { return open_; }
  // A deadline, abort() or close() ended the connection (possibly just after an operation
  // completed successfully: its completion was already queued).
  bool torn_down() const { return torn_down_; }
  const std::string& timeout_reason() const { return timeout_; }

  // Called by teardown() too (the client cancels its resolver there).
  void on_teardown(std::function<void()> fn) { extra_teardown_ = std::move(fn); }

  // A deadline for the current phase: when it passes first, `why` is recorded and the connection
  // torn down, so the phase's operation fails and its owner reports timeout_reason().
  void arm(std::shared_ptr<void> keep, std::chrono::milliseconds d, const char* why) {
    const auto gen = ++deadline_gen_;
    deadline_.expires_after(d);
    deadline_.async_wait([this, keep = std::move(keep), gen, why](const error_code& ec) {
      if (ec || gen != deadline_gen_ || !timeout_.empty()) return;
      timeout_ = why;
      teardown();
    });
  }

  // Bounds the close to `d` from now (the server stopping with a grace period shorter than the
  // close timeout). Before the opening handshake completed, the handshake gets `d` too.
  void limit_close_timeout(const std::shared_ptr<void>& keep, std::chrono::milliseconds d) {
    if (d < limits_.close_timeout) limits_.close_timeout = d;
    arm(keep, d, open_ ? "close timeout" : "handshake timeout");
  }

  void disarm() {
    ++deadline_gen_;
    deadline_.cancel();
  }

  // Closes the socket at once: every pending operation completes with an error.
  void teardown() {
    if (!torn_down_) {
      torn_down_ = true;
      error_code ignored;
      lowest().socket().shutdown(net::socket_base::shutdown_both, ignored);
      lowest().close();
      if (extra_teardown_) extra_teardown_();
    }
    reader_signal_.cancel();
    writer_signal_.cancel();
  }

  // The channel has news: data queued, close/abort/stall requested.
  void on_wake(const std::shared_ptr<void>& keep) {
    if (finished_) return;
    const auto req = ch_->snapshot();
    if (req.abort && !abort_seen_) {
      abort_seen_ = true;
      teardown();
    } else if (req.close && !close_seen_ && !abort_seen_) {
      close_seen_ = true;
      if (open_) {
        arm(keep, limits_.close_timeout, "close timeout");
      } else if (!close_waits_for_open_) {
        teardown();  // still opening: just stop
      }
    }
    if (req.stalled != stalled_) stalled_ = req.stalled;
    reader_signal_.cancel();
    writer_signal_.cancel();
  }

  // Before the pump: the opening phase failed; true (and `info` filled) when a local abort() or
  // close() explains it.
  bool local_end(ws_close_info& info) const {
    if (abort_seen_) {
      info.cause = ws_close_cause::aborted;
      info.error = "aborted";
      return true;
    }
    if (close_seen_) {
      info.cause = ws_close_cause::local_closed;
      info.error = "closed before the handshake completed";
      return true;
    }
    return false;
  }

  // After the opening handshake: carries messages until the connection ends; `on_message(kind,
  // payload)` is called for each message. Fills `info` (everything but the HTTP fields).
  template <class OnMessage>
  net::awaitable<void> pump(std::shared_ptr<void> keep, OnMessage on_message, ws_close_info& info) {
    open_ = true;
    info.opened = true;
    disarm();
    websocket::stream_base::timeout t{};
    t.handshake_timeout =
        limits_.close_timeout;  // Beast uses it for the close handshake from here on
    t.idle_timeout =
        limits_.idle_timeout.count() > 0
            ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(limits_.idle_timeout)
            : websocket::stream_base::none();
    t.keep_alive_pings = limits_.idle_timeout.count() > 0 && limits_.keep_alive_pings;
    lowest().expires_never();
    ws_.set_option(t);
    if (close_seen_ && !abort_seen_) arm(keep, limits_.close_timeout, "close timeout");
    on_wake(keep);  // requests that arrived while opening

    net::co_spawn(lowest().get_executor(), write_loop(keep), [keep](std::exception_ptr e) {
      detail::report_exception("websocket writer failed", std::move(e));
    });

    beast::flat_buffer buf;
    error_code read_ec;
    for (;;) {
      if (close_done_ || torn_down_) break;
      if (stalled_) {
        co_await wait(reader_signal_);
        continue;
      }
      auto [ec, n] = co_await ws_.async_read(buf, use_tuple);
      (void)n;
      if (ec) {
        read_ec = ec;
        break;
      }
      std::string payload = beast::buffers_to_string(buf.data());
      buf.consume(buf.size());
      const auto kind = ws_.got_binary() ? ws_message_kind::binary : ws_message_kind::text;
      if (!abort_seen_ && !finished_) on_message(kind, std::move(payload));
    }
    reader_done_ = true;
    if (close_started_ && !close_done_ && !torn_down_) {
      // Our close handshake is under way: Beast completes it in the close operation (the read
      // just ends with operation_aborted), bounded by the close deadline.
      while (!writer_done_) co_await wait(reader_signal_);
    }
    classify(read_ec, info);
    teardown();
    while (!writer_done_) co_await wait(reader_signal_);
    disarm();
    finished_ = true;
  }

  // The owner's end (settled): no more waking.
  void finish() {
    finished_ = true;
    disarm();
    teardown();
  }

 private:
  net::awaitable<void> wait(net::steady_timer& signal) {
    signal.expires_at(net::steady_timer::time_point::max());
    co_await signal.async_wait(use_tuple);
  }

  net::awaitable<void> write_loop(std::shared_ptr<void> keep) {
    outgoing msg;
    while (!reader_done_ && !torn_down_) {
      if (ch_->take(msg)) {
        ws_.binary(msg.binary);
        auto [ec, n] = co_await ws_.async_write(net::buffer(msg.data), use_tuple);
        (void)n;
        ch_->sent(msg.data.size());
        if (ec) {
          if (!write_ec_) write_ec_ = ec;
          teardown();
          break;
        }
        continue;
      }
      if (close_seen_ && !close_started_) {
        close_started_ = true;
        const auto req = ch_->snapshot();
        const websocket::close_reason cr(
            static_cast<websocket::close_code>(sendable_close_code(req.code)),
            close_reason_text(req.reason));
        auto [ec] = co_await ws_.async_close(cr, use_tuple);
        close_ec_ = ec;
        close_done_ = true;
        break;
      }
      co_await wait(writer_signal_);
    }
    writer_done_ = true;
    reader_signal_.cancel();
    (void)keep;
  }

  void classify(const error_code& ec, ws_close_info& info) {
    const auto peer = ws_.reason();
    if (abort_seen_) {
      info.cause = ws_close_cause::aborted;
      info.error = "aborted";
      return;
    }
    if (ec == websocket::error::closed || (close_done_ && !close_ec_) ||
        peer.code != websocket::close_code::none) {
      // A close frame came in: the handshake completed (or the peer answered ours). An error
      // after it (our answer could not be written, the peer reset) changes nothing.
      info.code = static_cast<std::uint16_t>(peer.code);
      info.reason = std::string(peer.reason.data(), peer.reason.size());
      info.cause = close_started_ ? ws_close_cause::local_closed : ws_close_cause::peer_closed;
      return;
    }
    if (!timeout_.empty()) {
      info.cause = close_seen_ ? ws_close_cause::local_closed : ws_close_cause::failed;
      info.error = timeout_;
      return;
    }
    if (ec == beast::error::timeout || close_ec_ == beast::error::timeout) {
      // Beast's own timer: the idle timeout, or the close handshake's (a peer-started close).
      info.cause = close_seen_ ? ws_close_cause::local_closed : ws_close_cause::failed;
      info.error = close_started_ || close_seen_ ? "close timeout" : "idle timeout";
      return;
    }
    info.cause = close_seen_ ? ws_close_cause::local_closed : ws_close_cause::failed;
    if (ec == websocket::error::message_too_big) {
      info.code = 1009;
      info.error = "message too big";
    } else if (write_ec_) {
      info.error = describe_io_error(write_ec_, "write");
    } else if (close_ec_) {
      info.error = describe_io_error(close_ec_, "close");
    } else if (ec) {
      info.error = describe_io_error(ec, "read");
    } else {
      info.error = "connection closed";
    }
  }

  std::shared_ptr<channel> ch_;
  // Server sessions: a close() before the 101 went out waits for it (the peer may already have
  // it), then closes properly. Clients stop connecting at once.
  const bool close_waits_for_open_;
  engine_limits limits_;
  Ws ws_;
  net::steady_timer deadline_;
  net::steady_timer reader_signal_;  // never expires: cancel() wakes the reader
  net::steady_timer writer_signal_;  // the same for the writer
  std::uint64_t deadline_gen_ = 0;
  std::string timeout_;
  std::function<void()> extra_teardown_;

  bool open_ = false;
  bool torn_down_ = false;
  bool finished_ = false;
  bool abort_seen_ = false;
  bool close_seen_ = false;     // close() asked for
  bool close_started_ = false;  // our close frame is being sent
  bool close_done_ = false;     // async_close completed
  bool stalled_ = false;
  bool reader_done_ = false;
  bool writer_done_ = false;
  error_code close_ec_;
  error_code write_ec_;
};

}  // namespace patchbay::kit::ws_detail
