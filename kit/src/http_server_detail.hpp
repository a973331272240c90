// The HTTP/1.1 server's internal classes (private header: kit/src only). Asio, no Beast: Beast is
// confined to http_connection.cpp, which implements the connection declared here.
//
// http_server.cpp: the acceptor and server_core, the stop completion, the public class.
// http_exchange.cpp: the exchange and stream objects the application holds, and stream_impl.
// http_connection.cpp: one coroutine per connection on the connection's own strand (read,
//                  dispatch, write, stream, stop), plain or TLS.
// ws_server.cpp:   ws_accept() and the WebSocket sessions an upgraded connection turns into (they
//                  are connections too: counted, stopped and drained like the others).
//
// All per-connection state is touched only on the connection's strand, except the stream's send
// queue, which has its own mutex because http_stream::write() is synchronous and callable from any
// thread.
#pragma once

#include "patchbay/kit/http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace patchbay::kit::detail {
class runtime_context;
}

namespace boost::asio::ssl {
class context;
}

namespace patchbay::kit::server_detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class connection_base;
class drain_token;
class ws_upgrade;  // an accepted WebSocket upgrade on its way to its connection (ws_server.cpp)

std::string endpoint_string(const tcp::endpoint& ep);

inline http_response simple_response(unsigned status, std::string_view message) {
  http_response r;
  r.status = status;
  r.body = "{\"error\":\"" + std::string(message) + "\"}";
  return r;
}

// Shared by http_server::impl, the accept loop and every connection.
struct server_core : std::enable_shared_from_this<server_core> {
  server_core(detail::runtime_context& rc, http_server_options o, http_handler h);

  detail::runtime_context& rc;
  net::io_context& ioc;  // the same object as rc
  const http_server_options opt;
  const http_handler handler;
  net::strand<net::io_context::executor_type> acceptor_strand;
  std::optional<tcp::acceptor> acceptor;   // touched only on acceptor_strand once started
  std::shared_ptr<net::ssl::context> tls;  // set by start() when the options ask for TLS

  std::mutex mtx;  // guards everything below
  std::unordered_map<const connection_base*, std::weak_ptr<connection_base>> conns;
  std::string local;
  bool started = false;
  bool stopping = false;
  // Held here until stop(), and by every connection: see drain_token.
  std::shared_ptr<drain_token> drain;
  std::weak_ptr<drain_token> drain_weak;
  std::atomic<bool> destroyed{
      false};  // the http_server object is gone: never call the handler again

  void start();
  void stop(std::chrono::milliseconds grace, std::function<void()> on_stopped);
  void admit(tcp::socket sock);
  // Registers a connection made from another (an upgraded one). False when stopping: the caller
  // then closes it.
  bool adopt(const std::shared_ptr<connection_base>& conn);
};

// ---------------------------------------------------------------------------------------------
// The stream's shared state: written from any thread, drained on the connection strand. The
// application holds it through a stream handle, the connection holds it directly.

class stream_impl {
 public:
  // Holds no executor and no io_context reference: a stream (or exchange) the application keeps
  // after the runtime is gone must stay harmless, and Asio strands must not outlive their context.
  stream_impl(std::weak_ptr<connection_base> conn, std::weak_ptr<server_core> core,
              std::size_t max_unsent)
      : conn_(std::move(conn)), core_(std::move(core)), max_unsent_(max_unsent) {}

  unsigned status = 200;
  std::string content_type;
  http_headers headers;

  // --- application side (any thread) ---
  bool write(std::string chunk);
  void close();
  bool closed() const;
  void on_peer_gone(std::function<void()> fn);

  // --- connection side (on the strand) ---
  enum class take_result { data, finished, empty };
  take_result take(std::string& out);
  void sent(std::size_t n);
  // The response can no longer be delivered. Fires on_peer_gone unless the app had closed it.
  void peer_gone(bool fire = true);
  // Ends the stream quietly (HEAD request or superseded answer).
  void mark_finished();

 private:
  void wake();

  std::weak_ptr<connection_base> conn_;
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

// The exchange handed to the handler (defined in http_exchange.cpp).
std::shared_ptr<http_exchange> make_exchange(std::weak_ptr<connection_base> conn,
                                             std::weak_ptr<server_core> core, std::uint64_t id,
                                             http_request req, std::size_t max_stream);

// ---------------------------------------------------------------------------------------------
// What the rest of the server sees of a connection; the implementation (with Beast) is in
// http_connection.cpp.

class connection_base : public std::enable_shared_from_this<connection_base> {
 public:
  connection_base(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain)
      : drain_(std::move(drain)), core_(std::move(core)) {}
  // Unregisters from the core; the drain token goes last, after the derived class closed the
  // socket.
  virtual ~connection_base();
  connection_base(const connection_base&) = delete;
  connection_base& operator=(const connection_base&) = delete;

  // Spawns the connection's coroutine.
  virtual void start() = 0;

  // Any thread. Each queues its work on the connection's strand (none once the runtime stops),
  // where it is dropped if the connection is gone by then.
  // Stop serving: close at once when idle, else after `grace`.
  virtual void begin_stop(std::chrono::milliseconds grace) = 0;
  // The stream `s` has news (data queued, or closed by the application).
  virtual void post_wake() = 0;
  // The answer to request `id`.
  virtual void post_response(std::uint64_t id, http_response r) = 0;
  virtual void post_stream(std::uint64_t id, std::shared_ptr<stream_impl> s) = 0;
  // Runs `fn` on the strand.
  virtual void post_call(std::function<void()> fn) = 0;
  // ws_accept() answered request `id`: hand the connection over to a WebSocket session.
  virtual void post_upgrade(std::uint64_t id, std::shared_ptr<ws_upgrade> up) = 0;

 protected:
  std::shared_ptr<drain_token> drain_;  // first member: released last
  std::shared_ptr<server_core> core_;
};

// For ws_accept(): marks `ex` answered and returns its connection, server and request id. False
// when it was answered already or is not an exchange of this server.
bool claim_for_upgrade(http_exchange& ex, std::weak_ptr<connection_base>& conn,
                       std::weak_ptr<server_core>& core, std::uint64_t& id);

// Creates the connection for an accepted socket (not yet started). Defined in http_connection.cpp.
std::shared_ptr<connection_base> make_connection(std::shared_ptr<server_core> core,
                                                 std::shared_ptr<drain_token> drain,
                                                 tcp::socket sock, std::string remote);

}  // namespace patchbay::kit::server_detail
