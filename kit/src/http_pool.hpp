// The HTTP client's keep-alive connections, one pool per io_runtime (private header: kit/src only).
//
// A connection is in exactly one place at a time: owned by the request using it (a fetch_op, which
// runs it on the request's strand), or idle in the pool (touched by nobody but the pool, under its
// mutex). Idle connections are kept per origin key (scheme, host, port and, for TLS, the trust
// configuration's context id), most recently used last, bounded per origin and in total (the
// oldest idle one overall is closed to make room), and closed after the idle timeout by one sweep
// timer on the pool's own strand. When the runtime stops, a stop hook closes every idle
// connection and the timer; afterwards nothing is pooled any more.
//
// Per-origin connection limit: every pooled connection of an origin (in use, idle, or being
// opened) holds a pool_slot, and an origin has at most max_connections_per_origin of them. A
// request that finds no idle connection and no free slot queues as a pool_waiter (at most
// max_waiting_per_origin per origin); the next connection given back goes straight to the oldest
// waiter, and a slot freed by a closed connection lets the oldest waiter open a fresh one. The
// pool fills a waiter in under its mutex and calls its `wake` (which only posts to the request's
// strand); the request then settle()s it, or abandons it on its own deadline or cancellation.
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
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace patchbay::kit::detail {

class runtime_context;
class http_pool;

// One place of an origin's connection limit (see above), given back to the pool when reset or
// destroyed. Empty (counts nothing) when default-constructed or moved from.
class pool_slot {
 public:
  pool_slot() = default;
  pool_slot(std::weak_ptr<http_pool> pool, std::string key)
      : pool_(std::move(pool)), key_(std::move(key)), held_(true) {}
  ~pool_slot() { reset(); }
  pool_slot(pool_slot&& o) noexcept
      : pool_(std::move(o.pool_)), key_(std::move(o.key_)), held_(std::exchange(o.held_, false)) {}
  pool_slot& operator=(pool_slot&& o) noexcept;
  pool_slot(const pool_slot&) = delete;
  pool_slot& operator=(const pool_slot&) = delete;
  // Never under the pool's mutex (it takes it).
  void reset() noexcept;
  // Empties it without telling the pool (which counted it off itself); true when it held a place.
  bool forget() noexcept { return std::exchange(held_, false); }

 private:
  std::weak_ptr<http_pool> pool_;
  std::string key_;
  bool held_ = false;
};

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
  pool_slot slot;            // its place in the origin's limit (empty: an unpooled connection)
};

// A request queued for a connection of its origin. The pool fills in `conn` or `slot` and sets
// `granted` under its mutex, then calls `wake` (unlocked).
struct pool_waiter {
  std::function<void()> wake;
  std::unique_ptr<client_conn> conn;  // granted: a pooled connection, ready for the next request
  pool_slot slot;                     // granted: a free place to open a fresh connection
  bool granted = false;
};

// What acquire() found: an idle connection, a slot to open one with, a place in the queue, or
// nothing at all (the queue is full: `full`).
struct pool_grant {
  std::unique_ptr<client_conn> conn;
  pool_slot slot;
  std::shared_ptr<pool_waiter> waiter;
  bool full = false;
};

class http_pool : public std::enable_shared_from_this<http_pool> {
 public:
  explicit http_pool(boost::asio::io_context& ctx) : strand_(ctx.get_executor()), sweep_(strand_) {}
  ~http_pool();
  http_pool(const http_pool&) = delete;
  http_pool& operator=(const http_pool&) = delete;

  // The runtime's pool, created on first use; null once the runtime is stopping.
  static std::shared_ptr<http_pool> of(runtime_context& rc);

  // For a request to `key`: an idle connection that still looks usable (counted as reused), else
  // a free slot of the origin's limit, else a place in its queue (`wake` runs once the waiter is
  // granted something), else `full`. Once the pool is closed: an empty slot (nothing counted).
  pool_grant acquire(const std::string& key, std::function<void()> wake);
  // A woken or abandoned waiter: moves its grant into `conn` / `slot` and returns true; not
  // granted yet: takes it out of the queue and returns false.
  bool settle(const std::shared_ptr<pool_waiter>& w, std::unique_ptr<client_conn>& conn,
              pool_slot& slot);
  // Keeps `c` (its last response complete, keep-alive, nothing left unread) if the bounds allow,
  // else closes it.
  void give_back(std::unique_ptr<client_conn> c);

  void configure(const http_pool_options& options);
  http_pool_stats stats() const;
  void count_opened();
  void count_retried();
  void count_stale();
  void count_resumed();
  // A slot came back (pool_slot::reset): the oldest waiter of `key` gets it, or the count drops.
  void release(const std::string& key);

  // From the stop hook (no io thread runs any more): closes every idle connection and the timer.
  void close_all();

 private:
  struct idle_conn {
    std::unique_ptr<client_conn> conn;
    std::chrono::steady_clock::time_point since;
    std::uint64_t order = 0;  // global insertion order: the oldest idle connection overall
  };
  using clock = std::chrono::steady_clock;

  struct origin {
    std::size_t open = 0;  // slots held: connections in use, idle or being opened
    std::deque<std::shared_ptr<pool_waiter>> waiting;
  };
  // Requires mu_. The oldest waiter of `o`, taken out of its queue (null when none).
  static std::shared_ptr<pool_waiter> next_waiter_locked(origin& o);
  // Requires mu_. Moves the oldest idle connection overall into `out`.
  void evict_oldest_locked(std::unique_ptr<client_conn>& out);
  // On strand_: closes what expired and waits for the next expiry (or disarms).
  void sweep();
  void rearm();

  mutable std::mutex mu_;
  http_pool_options opt_;
  std::map<std::string, std::deque<idle_conn>> idle_;
  std::map<std::string, origin> origins_;
  std::size_t idle_total_ = 0;
  std::uint64_t order_ = 0;
  bool sweep_armed_ = false;
  bool closed_ = false;
  http_pool_stats stats_;

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer sweep_;
};

}  // namespace patchbay::kit::detail
