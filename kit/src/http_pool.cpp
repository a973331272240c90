// The HTTP client's connection pool; see http_pool.hpp.
#include "http_pool.hpp"

#include "runtime_context.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <poll.h>

#include <vector>

namespace patchbay::kit::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

void client_conn::close() noexcept {
  error_code ec;
  tcp::socket& s = lowest();
  if (!s.is_open()) return;
  s.shutdown(tcp::socket::shutdown_both, ec);
  s.close(ec);
}

bool client_conn::quiet() {
  tcp::socket& s = lowest();
  if (!s.is_open()) return false;
  if (tls && SSL_pending(tls->native_handle()) > 0) return false;
  pollfd p{};
  p.fd = s.native_handle();
  p.events = POLLIN | POLLRDHUP;
  return ::poll(&p, 1, 0) == 0;  // ready (EOF, reset, bytes) or failed: not usable
}

http_pool::~http_pool() {
  // Normally close_all() already ran; otherwise (the runtime stopped from one of its own threads)
  // the connections close with the pool, still before the io_context goes.
  sweep_.cancel();
}

std::shared_ptr<http_pool> http_pool::of(runtime_context& rc) {
  std::lock_guard lock(rc.http_pool_mtx);
  if (rc.http_pool_ptr) return rc.http_pool_ptr;
  auto pool = std::make_shared<http_pool>(rc);
  const auto hook = rc.on_stop([w = std::weak_ptr<http_pool>(pool)] {
    if (auto self = w.lock()) self->close_all();
  });
  if (hook == 0) return nullptr;  // stopping: nothing is pooled any more
  rc.http_pool_ptr = pool;
  return pool;
}

std::unique_ptr<client_conn> http_pool::take(const std::string& key) {
  std::vector<std::unique_ptr<client_conn>> stale;
  std::unique_ptr<client_conn> found;
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(key);
    while (it != idle_.end() && !it->second.empty() && !found) {
      auto c = std::move(it->second.back().conn);  // the most recently used: least likely stale
      it->second.pop_back();
      --idle_total_;
      if (c->quiet()) {
        found = std::move(c);
        ++stats_.reused;
      } else {
        ++stats_.stale;
        stale.push_back(std::move(c));
      }
    }
    if (it != idle_.end() && it->second.empty()) idle_.erase(it);
  }
  return found;  // `stale` ones close here, unlocked
}

void http_pool::give_back(std::unique_ptr<client_conn> c) {
  std::unique_ptr<client_conn> evicted;
  bool arm = false;
  {
    std::lock_guard lock(mu_);
    if (closed_ || opt_.max_idle_per_origin == 0 || opt_.max_idle_total == 0 ||
        c->requests >= opt_.max_requests_per_connection) {
      return;  // `c` closes here
    }
    auto& list = idle_[c->key];
    if (list.size() >= opt_.max_idle_per_origin) {
      evicted = std::move(list.front().conn);  // this origin's oldest
      list.pop_front();
      --idle_total_;
    } else if (idle_total_ >= opt_.max_idle_total) {
      evict_oldest_locked(evicted);
    }
    // (Looked up again: the eviction may have erased this origin's emptied list.)
    const std::string key = c->key;
    idle_[key].push_back(idle_conn{std::move(c), clock::now(), ++order_});
    ++idle_total_;
    if (!sweep_armed_) {
      sweep_armed_ = true;
      arm = true;
    }
  }
  if (arm) {
    net::post(strand_, [w = weak_from_this()] {
      if (auto self = w.lock()) self->rearm();
    });
  }
}

void http_pool::evict_oldest_locked(std::unique_ptr<client_conn>& out) {
  auto oldest = idle_.end();
  for (auto it = idle_.begin(); it != idle_.end(); ++it) {
    if (it->second.empty()) continue;
    if (oldest == idle_.end() || it->second.front().order < oldest->second.front().order)
      oldest = it;
  }
  if (oldest == idle_.end()) return;
  out = std::move(oldest->second.front().conn);
  oldest->second.pop_front();
  --idle_total_;
  if (oldest->second.empty()) idle_.erase(oldest);
}

void http_pool::rearm() {
  std::optional<clock::time_point> next;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    for (const auto& [key, list] : idle_) {
      if (list.empty()) continue;
      const auto t = list.front().since + opt_.idle_timeout;  // the front is the oldest
      if (!next || t < *next) next = t;
    }
    if (!next) {
      sweep_armed_ = false;
      return;
    }
  }
  sweep_.expires_at(*next);
  sweep_.async_wait(net::bind_executor(strand_, [w = weak_from_this()](const error_code& ec) {
    if (ec) return;
    if (auto self = w.lock()) self->sweep();
  }));
}

void http_pool::sweep() {
  std::vector<std::unique_ptr<client_conn>> expired;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    const auto now = clock::now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      auto& list = it->second;
      while (!list.empty() && list.front().since + opt_.idle_timeout <= now) {
        expired.push_back(std::move(list.front().conn));
        list.pop_front();
        --idle_total_;
        ++stats_.expired;
      }
      it = list.empty() ? idle_.erase(it) : std::next(it);
    }
  }
  expired.clear();  // closed unlocked
  rearm();
}

void http_pool::configure(const http_pool_options& options) {
  std::vector<std::unique_ptr<client_conn>> surplus;
  bool arm = false;
  {
    std::lock_guard lock(mu_);
    opt_ = options;
    for (auto& [key, list] : idle_) {
      while (list.size() > opt_.max_idle_per_origin) {
        surplus.push_back(std::move(list.front().conn));
        list.pop_front();
        --idle_total_;
      }
    }
    while (idle_total_ > opt_.max_idle_total) {
      surplus.emplace_back();
      evict_oldest_locked(surplus.back());
    }
    // A shorter idle timeout must take effect now, not at the expiry armed before.
    if (!closed_ && idle_total_ > 0) arm = true;
    sweep_armed_ = sweep_armed_ || arm;
  }
  if (arm) {
    net::post(strand_, [w = weak_from_this()] {
      if (auto self = w.lock()) self->rearm();
    });
  }
}

http_pool_stats http_pool::stats() const {
  std::lock_guard lock(mu_);
  http_pool_stats s = stats_;
  s.idle = idle_total_;
  return s;
}

void http_pool::count_opened() {
  std::lock_guard lock(mu_);
  ++stats_.opened;
}

void http_pool::count_retried() {
  std::lock_guard lock(mu_);
  ++stats_.retried;
}

void http_pool::count_stale() {
  std::lock_guard lock(mu_);
  ++stats_.stale;
}

void http_pool::count_resumed() {
  std::lock_guard lock(mu_);
  ++stats_.tls_resumed;
}

void http_pool::close_all() {
  decltype(idle_) all;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    all.swap(idle_);
    idle_total_ = 0;
  }
  all.clear();
  sweep_.cancel();
}

}  // namespace patchbay::kit::detail
