// The HTTP/1.1 server's internal classes (private header: kit/src only). Asio, no Beast: Beast is
// confined to http_connection.cpp, which implements the connection declared here.
//
// http_server.cpp: the acceptor and server_core, the stop completion, the public class.
// http_exchange.cpp: the exchange and stream objects the application holds, and stream_impl.
// http_admission.cpp: who may connect and how much body memory requests may take (the admission
//                  counts, the slots connections hold in them, the body budget).
// http_connection.hpp/.cpp: one coroutine per connection on the connection's own strand (its life:
//                  serve, dispatch, upgrade, stop), plain or TLS;
//   http_connection_read.cpp:  reading a request (header, screen, admission rules, body);
//   http_connection_write.cpp: writing the answer (response, stream, errors and lingering).
// ws_server.cpp:   ws_accept() and the WebSocket sessions an upgraded connection turns into (they
//                  are connections too: counted, stopped and drained like the others).
//
// All per-connection state is touched only on the connection's strand, except the stream's send
// queue, which has its own mutex because http_stream::write() is synchronous and callable from any
// thread, and the admission counts and body budget (the core's mutex, an atomic).
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
#include <vector>

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
class admission_slot;
struct server_core;
class ws_upgrade;  // an accepted WebSocket upgrade on its way to its connection (ws_server.cpp)

std::string endpoint_string(const tcp::endpoint& ep);

inline http_response simple_response(unsigned status, std::string_view message) {
  http_response r;
  r.status = status;
  r.body = "{\"error\":\"" + std::string(message) + "\"}";
  return r;
}

// ---------------------------------------------------------------------------------------------
// Admission (http_admission.cpp)

// True when `path` is one of the priority paths (an entry ending in '/' is a prefix).
bool is_priority_path(const std::vector<std::string>& priority, std::string_view path);

// The bytes all request bodies in flight may take together. Thread-safe.
class body_budget {
 public:
  explicit body_budget(std::size_t limit) : limit_(limit) {}
  // Takes `n` bytes; false (and nothing taken) when that would pass the limit.
  bool take(std::size_t n);
  void give(std::size_t n);
  std::size_t used() const { return used_.load(); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

// One request's share of the body budget, released on destruction. Move-only.
class body_reservation {
 public:
  body_reservation() = default;
  explicit body_reservation(std::shared_ptr<body_budget> budget) : budget_(std::move(budget)) {}
  body_reservation(body_reservation&& o) noexcept
      : budget_(std::move(o.budget_)), bytes_(std::exchange(o.bytes_, 0)) {}
  body_reservation& operator=(body_reservation&& o) noexcept;
  body_reservation(const body_reservation&) = delete;
  body_reservation& operator=(const body_reservation&) = delete;
  ~body_reservation() { release(); }

  // Makes the share at least `total` bytes; false when the budget cannot give that much.
  bool grow_to(std::size_t total);
  void release();
  std::size_t bytes() const { return bytes_; }

 private:
  std::shared_ptr<body_budget> budget_;
  std::size_t bytes_ = 0;
};

// A connection's place in the admission counts: a general one (counted for its client address
// too) or one of the reserve. Released when the last holder lets go: the connection, or the
// WebSocket session it became.
class admission_slot {
 public:
  admission_slot(std::shared_ptr<server_core> core, std::string client, bool reserve)
      : core_(std::move(core)), client_(std::move(client)), reserve_(reserve) {}
  ~admission_slot();
  admission_slot(const admission_slot&) = delete;
  admission_slot& operator=(const admission_slot&) = delete;
  // A reserve connection: one request, only to a priority path, read under reserve_header_timeout.
  bool reserve() const { return reserve_; }

 private:
  std::shared_ptr<server_core> core_;
  const std::string client_;
  const bool reserve_;
};

// The 503 written to a connection refused at accept (past every limit), and its body.
std::string_view too_many_clients_body();
const std::string& too_many_clients_response();

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

  const std::shared_ptr<body_budget> bodies;  // max_total_body_bytes

  std::mutex mtx;  // guards everything below
  std::unordered_map<const connection_base*, std::weak_ptr<connection_base>> conns;
  // Admission counts (admission_slot): general connections, per client address, reserve ones.
  std::size_t general_in_use = 0;
  std::size_t reserve_in_use = 0;
  std::unordered_map<std::string, std::size_t> per_client;
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
  // Under mtx: the slot for a new connection from `client`, or null when past every limit.
  std::shared_ptr<admission_slot> take_slot(const std::string& client);
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
// It holds `body` (the request's share of the body budget) until destroyed.
std::shared_ptr<http_exchange> make_exchange(std::weak_ptr<connection_base> conn,
                                             std::weak_ptr<server_core> core, std::uint64_t id,
                                             http_request req, std::size_t max_stream,
                                             body_reservation body);

// ---------------------------------------------------------------------------------------------
// What the rest of the server sees of a connection; the implementation (with Beast) is in
// http_connection.cpp.

class connection_base : public std::enable_shared_from_this<connection_base> {
 public:
  connection_base(std::shared_ptr<server_core> core, std::shared_ptr<drain_token> drain,
                  std::shared_ptr<admission_slot> slot)
      : drain_(std::move(drain)), core_(std::move(core)), slot_(std::move(slot)) {}
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
  std::shared_ptr<admission_slot> slot_;  // released (after the socket closed) before the core
};

// For ws_accept(): marks `ex` answered and returns its connection, server and request id. False
// when it was answered already or is not an exchange of this server.
bool claim_for_upgrade(http_exchange& ex, std::weak_ptr<connection_base>& conn,
                       std::weak_ptr<server_core>& core, std::uint64_t& id);

// Creates the connection for an accepted socket (not yet started). Defined in http_connection.cpp.
std::shared_ptr<connection_base> make_connection(std::shared_ptr<server_core> core,
                                                 std::shared_ptr<drain_token> drain,
                                                 std::shared_ptr<admission_slot> slot,
                                                 tcp::socket sock, std::string remote);

}  // namespace patchbay::kit::server_detail
