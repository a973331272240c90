// The HTTP client's connection pool; see http_pool.hpp.
#include "http_pool.hpp"

#include "runtime_context.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <poll.h>

#include <algorithm>
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

pool_slot& pool_slot::operator=(pool_slot&& o) noexcept {
  if (this != &o) {
    reset();
    pool_ = std::move(o.pool_);
    key_ = std::move(o.key_);
    held_ = std::exchange(o.held_, false);
  }
  return *this;
}

void pool_slot::reset() noexcept {
  if (!std::exchange(held_, false)) return;
  if (auto pool = pool_.lock()) pool->release(key_);
}

pool_grant http_pool::acquire(const std::string& key, std::function<void()> wake) {
  std::vector<std::unique_ptr<client_conn>> stale;  // closed unlocked (their slots come back)
  pool_grant out;
  std::lock_guard lock(mu_);
  if (closed_) return out;  // an empty slot: the connection is not counted, not pooled
  auto it = idle_.find(key);
  while (it != idle_.end() && !it->second.empty() && !out.conn) {
    auto c = std::move(it->second.back().conn);  // the most recently used: least likely stale
    it->second.pop_back();
    --idle_total_;
    if (c->quiet()) {
      out.conn = std::move(c);
      ++stats_.reused;
    } else {
      ++stats_.stale;
      stale.push_back(std::move(c));
    }
  }
  if (it != idle_.end() && it->second.empty()) idle_.erase(it);
  auto& o = origins_[key];
  // The stale ones found above leave the count now (not through the queue when they close).
  for (auto& c : stale)
    if (c->slot.forget() && o.open > 0) --o.open;
  if (out.conn) return out;
  if (opt_.max_connections_per_origin == 0 || o.open < opt_.max_connections_per_origin) {
    ++o.open;
    out.slot = pool_slot(weak_from_this(), key);
    return out;
  }
  if (o.waiting.size() >= opt_.max_waiting_per_origin) {
    out.full = true;
    ++stats_.refused;
    return out;
  }
  out.waiter = std::make_shared<pool_waiter>();
  out.waiter->wake = std::move(wake);
  o.waiting.push_back(out.waiter);
  ++stats_.waited;
  return out;
}

bool http_pool::settle(const std::shared_ptr<pool_waiter>& w, std::unique_ptr<client_conn>& conn,
                       pool_slot& slot) {
  std::shared_ptr<pool_waiter> keep;  // released unlocked
  std::lock_guard lock(mu_);
  if (w->granted) {
    conn = std::move(w->conn);
    slot = std::move(w->slot);
    return true;
  }
  for (auto& [key, o] : origins_) {
    auto pos = std::find(o.waiting.begin(), o.waiting.end(), w);
    if (pos == o.waiting.end()) continue;
    keep = std::move(*pos);
    o.waiting.erase(pos);
    break;
  }
  return false;
}

std::shared_ptr<pool_waiter> http_pool::next_waiter_locked(origin& o) {
  if (o.waiting.empty()) return nullptr;
  auto w = std::move(o.waiting.front());
  o.waiting.pop_front();
  return w;
}

void http_pool::release(const std::string& key) {
  std::shared_ptr<pool_waiter> w;  // woken and released unlocked
  {
    std::lock_guard lock(mu_);
    auto it = origins_.find(key);
    if (it == origins_.end()) return;
    w = closed_ ? nullptr : next_waiter_locked(it->second);
    if (w) {
      w->slot = pool_slot(weak_from_this(), key);  // the freed place passes on: the count stays
      w->granted = true;
    } else {
      if (it->second.open > 0) --it->second.open;
      if (it->second.open == 0 && it->second.waiting.empty()) origins_.erase(it);
    }
  }
  if (w && w->wake) w->wake();
}

void http_pool::give_back(std::unique_ptr<client_conn> c) {
  std::unique_ptr<client_conn> evicted;
  std::unique_ptr<client_conn> unfit;      // closed unlocked (its slot comes back)
  std::shared_ptr<pool_waiter> handed_to;  // woken unlocked
  bool arm = false;
  {
    std::lock_guard lock(mu_);
    const std::string key = c->key;
    const bool usable = !closed_ && c->requests < opt_.max_requests_per_connection;
    // A request waiting for this origin takes it at once.
    if (auto o = origins_.find(key); usable && o != origins_.end())
      handed_to = next_waiter_locked(o->second);
    if (handed_to) {
      handed_to->conn = std::move(c);
      handed_to->granted = true;
      ++stats_.reused;
    } else if (!usable || opt_.max_idle_per_origin == 0 || opt_.max_idle_total == 0) {
      unfit = std::move(c);
    } else {
      auto& list = idle_[key];
      if (list.size() >= opt_.max_idle_per_origin) {
        evicted = std::move(list.front().conn);  // this origin's oldest
        list.pop_front();
        --idle_total_;
      } else if (idle_total_ >= opt_.max_idle_total) {
        evict_oldest_locked(evicted);
      }
      // (Looked up again: the eviction may have erased this origin's emptied list.)
      idle_[key].push_back(idle_conn{std::move(c), clock::now(), ++order_});
      ++idle_total_;
      if (!sweep_armed_) {
        sweep_armed_ = true;
        arm = true;
      }
    }
  }
  if (handed_to && handed_to->wake) handed_to->wake();
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
  std::vector<std::shared_ptr<pool_waiter>> woken;  // woken and released unlocked
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
    // A higher connection limit lets waiters open connections now.
    for (auto& [key, o] : origins_) {
      while (!closed_ && !o.waiting.empty() &&
             (opt_.max_connections_per_origin == 0 || o.open < opt_.max_connections_per_origin)) {
        auto w = next_waiter_locked(o);
        w->slot = pool_slot(weak_from_this(), key);
        w->granted = true;
        ++o.open;
        woken.push_back(std::move(w));
      }
    }
  }
  for (auto& w : woken)
    if (w->wake) w->wake();
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
  for (const auto& [key, o] : origins_) {
    s.connections += o.open;
    s.waiting += o.waiting.size();
  }
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
  std::vector<std::shared_ptr<pool_waiter>> waiters;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    all.swap(idle_);
    idle_total_ = 0;
    // Their requests end through the runtime's stop hooks; nothing is granted any more.
    for (auto& [key, o] : origins_)
      for (auto& w : o.waiting) waiters.push_back(std::move(w));
    origins_.clear();
  }
  waiters.clear();
  all.clear();
  sweep_.cancel();
}

}  // namespace patchbay::kit::detail
