// One HTTP/1.1 server connection (private header: kit/src only, with Beast). A class template over
// its stream, plain TCP or TLS, instantiated for both; its members are defined in three files by
// purpose, each instantiating what it defines:
//   http_connection.cpp        its life: the coroutine, serve() one request after another,
//                              dispatch to the handler, the WebSocket hand-over, stop and close;
//   http_connection_read.cpp   reading a request: the header, the admission rules (reserve
//                              connections, the screen, body limits and the body budget), the body;
//   http_connection_write.cpp  writing: the response, the stream, errors and lingering.
// Everything runs on the connection's strand; see http_server_detail.hpp.
#pragma once

#include "http_server_detail.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace patchbay::kit::server_detail {

namespace beast = boost::beast;
namespace http = beast::http;
using error_code = boost::system::error_code;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

template <class Stream>
class http_connection final : public connection_base {
 public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  http_connection(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain,
                  std::shared_ptr<admission_slot> slot, Stream stream, std::string remote)
      : connection_base(std::move(core), std::move(drain), std::move(slot)),
        ex_(beast::get_lowest_layer(stream).get_executor()),
        stream_(std::move(stream)),
        signal_(ex_),
        grace_timer_(ex_),
        remote_(std::move(remote)) {}
  ~http_connection() override;
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  void start() override;
  void begin_stop(std::chrono::milliseconds grace) override;
  void post_wake() override;
  void post_response(std::uint64_t id, http_response r) override;
  void post_stream(std::uint64_t id, std::shared_ptr<stream_impl> s) override;
  void post_call(std::function<void()> fn) override;
  void post_upgrade(std::uint64_t id, std::shared_ptr<ws_upgrade> up) override;

 private:
  enum class phase { idle, reading, handling, writing, streaming };
  using request_parser = http::request_parser<http::string_body>;

  std::shared_ptr<http_connection> self() {
    return std::static_pointer_cast<http_connection>(shared_from_this());
  }
  std::weak_ptr<http_connection> weak() { return self(); }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  // A reserve connection: one request, to a priority path only (admission_slot).
  bool in_reserve() const { return slot_->reserve(); }

  // Any thread: runs `fn` on this connection's strand, unless the runtime is stopping.
  template <class Fn>
  void post(Fn&& fn);

  // --- http_connection.cpp: the connection's life ---
  void wake() { signal_.cancel(); }
  void on_response(std::uint64_t id, http_response r);
  void on_upgrade(std::uint64_t id, std::shared_ptr<ws_upgrade> up);
  void on_stream(std::uint64_t id, std::shared_ptr<stream_impl> s);
  static net::awaitable<void> run(std::shared_ptr<http_connection> self);
  net::awaitable<void> serve();
  net::awaitable<bool> handshake();
  void dispatch(http_request req, body_reservation body);
  void hand_over_to_websocket(request_parser& parser);
  net::awaitable<void> wait_signal();
  void on_stop(std::chrono::milliseconds grace);
  void close_now();

  // --- http_connection_read.cpp: reading a request, in the order it goes through these ---
  std::chrono::milliseconds header_timeout() const;
  net::awaitable<bool> wait_for_request(bool first);
  net::awaitable<bool> read_request(request_parser& parser, http_request& head,
                                    body_reservation& body);
  http_request make_head(const request_parser& parser) const;
  std::optional<http_response> admission_answer(const http_request& head);
  bool apply_body_limit(request_parser& parser, const http_request& head);
  net::awaitable<bool> read_body(request_parser& parser, body_reservation& body);
  net::awaitable<void> fail_request(const error_code& ec);

  // --- http_connection_write.cpp: writing the answer ---
  net::awaitable<bool> send_answer(unsigned version, bool keep_alive, bool head);
  net::awaitable<void> send_error_and_linger(unsigned status, std::string_view message);
  net::awaitable<void> send_and_linger(http_response r);
  net::awaitable<bool> write_response(http_response r, unsigned version, bool keep_alive,
                                      bool head);
  net::awaitable<bool> write_file(http_response r, http::file_body::value_type file,
                                  unsigned version, bool keep_alive, bool head);
  net::awaitable<bool> run_stream(unsigned version, bool keep_alive, bool head);
  net::awaitable<void> stop_detect();
  void start_detect();

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
template <class Fn>
void http_connection<Stream>::post(Fn&& fn) {
  if (core_->ioc.stopped()) return;
  net::post(ex_, std::forward<Fn>(fn));
}

}  // namespace patchbay::kit::server_detail
