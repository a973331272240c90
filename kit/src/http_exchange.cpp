// The exchange and stream objects the application holds (http_exchange, http_stream) and the
// stream's shared state, stream_impl, which the connection drains. Asio only to post a late
// on_peer_gone; no Beast. See http_server_detail.hpp.
#include "diagnostics_detail.hpp"
#include "http_server_detail.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>

namespace patchbay::kit::server_detail {

// ---------------------------------------------------------------------------------------------
// stream_impl

bool stream_impl::write(std::string chunk) {
  bool need_wake = false;
  {
    std::lock_guard lock(mtx_);
    if (app_closed_ || gone_) return false;
    if (conn_.expired()) {  // the connection was torn down without a goodbye (runtime stopped)
      gone_ = true;
      return false;
    }
    if (chunk.empty()) return true;  // an empty chunk would end the chunked body
    if (chunk.size() > max_unsent_ || unsent_ > max_unsent_ - chunk.size()) return false;
    unsent_ += chunk.size();
    need_wake = queue_.empty();
    queue_.push_back(std::move(chunk));
  }
  if (need_wake) wake();
  return true;
}

void stream_impl::close() {
  std::function<void()> unused;  // on_peer_gone can no longer fire: release it (outside the lock)
  {
    std::lock_guard lock(mtx_);
    if (app_closed_ || gone_) return;
    app_closed_ = true;
    unused = std::move(gone_fn_);
  }
  wake();
}

bool stream_impl::closed() const {
  std::lock_guard lock(mtx_);
  return app_closed_ || gone_ || conn_.expired();
}

void stream_impl::on_peer_gone(std::function<void()> fn) {
  if (!fn) return;
  {
    std::lock_guard lock(mtx_);
    if (app_closed_) return;  // closed by the app first: never fires (fn released unlocked)
    if (!gone_ && !conn_.expired()) {
      std::swap(gone_fn_, fn);  // a replaced callback is released unlocked
      return;
    }
    gone_ = true;
  }
  // Already gone: still deliver asynchronously, exactly once; on the connection's strand if the
  // connection still exists, else on a runtime thread.
  if (auto c = conn_.lock()) {
    c->post_call(std::move(fn));
  } else if (auto core = core_.lock()) {
    if (!core->ioc.stopped()) net::post(core->ioc, std::move(fn));
  }
}

stream_impl::take_result stream_impl::take(std::string& out) {
  std::lock_guard lock(mtx_);
  if (!queue_.empty()) {
    out = std::move(queue_.front());
    queue_.pop_front();
    return take_result::data;
  }
  return app_closed_ ? take_result::finished : take_result::empty;
}

void stream_impl::sent(std::size_t n) {
  std::lock_guard lock(mtx_);
  unsent_ -= std::min(unsent_, n);
}

void stream_impl::peer_gone(bool fire) {
  std::function<void()> fn;
  {
    std::lock_guard lock(mtx_);
    if (gone_) return;
    gone_ = true;
    queue_.clear();
    unsent_ = 0;
    fn = std::move(gone_fn_);
    if (!fire || app_closed_ || gone_fired_ || !fn) return;  // fn (if any) is released unlocked
    gone_fired_ = true;
  }
  try {
    fn();
  } catch (const std::exception&) {
    detail::report_callback_exception("on_peer_gone callback", std::current_exception());
  }
}

void stream_impl::mark_finished() {
  std::function<void()> unused;
  std::lock_guard lock(mtx_);
  app_closed_ = true;
  gone_ = true;
  queue_.clear();
  unsent_ = 0;
  unused = std::move(gone_fn_);
}

void stream_impl::wake() {
  if (auto c = conn_.lock()) c->post_wake();
}

namespace {

// What the application gets from start_stream(). Dropping the last reference ends the stream
// (as close() would), so a forgotten stream cannot hold its connection open forever.
class stream_handle final : public http_stream {
 public:
  explicit stream_handle(std::shared_ptr<stream_impl> s) : s_(std::move(s)) {}
  ~stream_handle() override { s_->close(); }
  stream_handle(const stream_handle&) = delete;
  stream_handle& operator=(const stream_handle&) = delete;

  bool write(std::string chunk) override { return s_->write(std::move(chunk)); }
  void close() override { s_->close(); }
  bool closed() const override { return s_->closed(); }
  void on_peer_gone(std::function<void()> fn) override { s_->on_peer_gone(std::move(fn)); }

 private:
  std::shared_ptr<stream_impl> s_;
};

// ---------------------------------------------------------------------------------------------

class exchange_impl final : public http_exchange {
 public:
  friend bool server_detail::claim_for_upgrade(http_exchange&, std::weak_ptr<connection_base>&,
                                               std::weak_ptr<server_core>&, std::uint64_t&);

  exchange_impl(std::weak_ptr<connection_base> conn, std::weak_ptr<server_core> core,
                std::uint64_t id, http_request req, std::size_t max_stream, body_reservation body)
      : conn_(std::move(conn)),
        core_(std::move(core)),
        id_(id),
        req_(std::move(req)),
        max_stream_(max_stream),
        body_(std::move(body)) {}

  ~exchange_impl() override {
    if (!answered_.exchange(true)) {
      try {
        deliver(simple_response(500, "request dropped without an answer"));
      } catch (...) {  // a destructor must not throw (allocation failure while posting)
      }
    }
  }

  const http_request& request() const override { return req_; }

  void respond(http_response response) override {
    if (answered_.exchange(true)) return;
    deliver(std::move(response));
  }

  std::shared_ptr<http_stream> start_stream(unsigned status, std::string content_type,
                                            http_headers headers) override {
    auto s = std::make_shared<stream_impl>(conn_, core_, max_stream_);
    if (answered_.exchange(true)) {
      s->mark_finished();
      return std::make_shared<stream_handle>(std::move(s));
    }
    s->status = status;
    s->content_type = std::move(content_type);
    s->headers = std::move(headers);
    if (auto c = conn_.lock()) c->post_stream(id_, s);
    return std::make_shared<stream_handle>(std::move(s));
  }

 private:
  void deliver(http_response r) {
    if (auto c = conn_.lock()) c->post_response(id_, std::move(r));
  }

  std::weak_ptr<connection_base> conn_;
  std::weak_ptr<server_core> core_;
  const std::uint64_t id_;
  const http_request req_;
  const std::size_t max_stream_;
  body_reservation body_;  // req_.body's share of the server's body budget
  std::atomic<bool> answered_{false};
};

}  // namespace

bool claim_for_upgrade(http_exchange& ex, std::weak_ptr<connection_base>& conn,
                       std::weak_ptr<server_core>& core, std::uint64_t& id) {
  auto* impl = dynamic_cast<exchange_impl*>(&ex);
  if (!impl || impl->answered_.exchange(true)) return false;
  conn = impl->conn_;
  core = impl->core_;
  id = impl->id_;
  return true;
}

std::shared_ptr<http_exchange> make_exchange(std::weak_ptr<connection_base> conn,
                                             std::weak_ptr<server_core> core, std::uint64_t id,
                                             http_request req, std::size_t max_stream,
                                             body_reservation body) {
  return std::make_shared<exchange_impl>(std::move(conn), std::move(core), id, std::move(req),
                                         max_stream, std::move(body));
}

}  // namespace patchbay::kit::server_detail
