// The HTTP client's keep-alive connections, one pool per io_runtime (private header: kit/src only).
//
// A connection is in exactly one place at a time: owned by the request using it (a fetch_op, which
// runs it on the request's strand), or idle in the pool (touched by nobody but the pool, under its
// mutex). Idle connections are kept per origin key (scheme, host, port and, for TLS, the trust
// configuration's context id), most recently used last, bounded per origin and in total (the
// oldest idle one overall is closed to make room), and closed after the idle timeout by one sweep
// timer on the pool's own strand. When the runtime stops, a stop hook closes every idle
// connection and the timer; afterwards nothing is pooled any more.
#pragma once

#include "patchbay/kit/http_client.hpp"
#include "tls_contexts.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace patchbay::kit::detail {

class runtime_context;

// One client connection: TCP, with TLS over it when `tls` is set (`sock` is then moved-from).
struct client_conn {
  explicit client_conn(const boost::asio::any_io_executor& ex) : sock(ex) {}
  ~client_conn() { close(); }
  client_conn(const client_conn&) = delete;
  client_conn& operator=(const client_conn&) = delete;

  boost::asio::ip::tcp::socket& lowest() { return tls ? tls->next_layer() : sock; }
  // Shuts down and closes the TCP socket (no TLS close_notify: never waits on the peer).
  void close() noexcept;
  // True when nothing arrived on it while idle: no EOF, no reset, no stray bytes (a
  // non-blocking poll of the socket, and OpenSSL's buffer).
  bool quiet();

  std::shared_ptr<client_tls> tls_ctx;  // declared before `tls`: outlives the SSL that uses it
  boost::asio::ip::tcp::socket sock;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls;
  std::string key;           // the origin key it is pooled under
  std::size_t requests = 0;  // requests completed on it
};

class http_pool : public std::enable_shared_from_this<http_pool> {
 public:
  explicit http_pool(boost::asio::io_context& ctx) : strand_(ctx.get_executor()), sweep_(strand_) {}
  ~http_pool();
  http_pool(const http_pool&) = delete;
  http_pool& operator=(const http_pool&) = delete;

  // The runtime's pool, created on first use; null once the runtime is stopping.
  static std::shared_ptr<http_pool> of(runtime_context& rc);

  // An idle connection for `key` that still looks usable, or null. Counts it as reused.
  std::unique_ptr<client_conn> take(const std::string& key);
  // Keeps `c` (its last response complete, keep-alive, nothing left unread) if the bounds allow,
  // else closes it.
  void give_back(std::unique_ptr<client_conn> c);

  void configure(const http_pool_options& options);
  http_pool_stats stats() const;
  void count_opened();
  void count_retried();
  void count_stale();
  void count_resumed();

  // From the stop hook (no io thread runs any more): closes every idle connection and the timer.
  void close_all();

 private:
  struct idle_conn {
    std::unique_ptr<client_conn> conn;
    std::chrono::steady_clock::time_point since;
    std::uint64_t order = 0;  // global insertion order: the oldest idle connection overall
  };
  using clock = std::chrono::steady_clock;

  // Requires mu_. Moves the oldest idle connection overall into `out`.
  void evict_oldest_locked(std::unique_ptr<client_conn>& out);
  // On strand_: closes what expired and waits for the next expiry (or disarms).
  void sweep();
  void rearm();

  mutable std::mutex mu_;
  http_pool_options opt_;
  std::map<std::string, std::deque<idle_conn>> idle_;
  std::size_t idle_total_ = 0;
  std::uint64_t order_ = 0;
  bool sweep_armed_ = false;
  bool closed_ = false;
  http_pool_stats stats_;

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer sweep_;
};

}  // namespace patchbay::kit::detail
