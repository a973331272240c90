// The HTTP/1.1 server: the acceptor and server_core, the exchange and stream objects the
// application holds, the completion of stop(), and the public class. The connections (the only
// part that needs Beast) are in http_connection.cpp; see http_server_detail.hpp.
#include "http_server_detail.hpp"

#include "diagnostics_detail.hpp"
#include "patchbay/kit/runtime.hpp"
#include "runtime_context.hpp"
#include "tls.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace patchbay::kit {

namespace server_detail {

using error_code = boost::system::error_code;
using namespace std::chrono_literals;

std::string endpoint_string(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  std::string out = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  out += ':';
  out += std::to_string(ep.port());
  return out;
}

// ---------------------------------------------------------------------------------------------
// The completion of http_server::stop(). The core holds the token until stop(); every connection
// holds it for its whole life (released after its socket is closed), and so do the acceptor loop
// and the step that closes the acceptor. Once stop() has dropped the core's reference, the last
// holder to let go dispatches the on_stopped callbacks to a runtime thread. If the runtime stops
// first, its stop hook runs them then, on the stopping thread (nothing happens on the server any
// more once the runtime's threads are joined).

class drain_token : public std::enable_shared_from_this<drain_token> {
 public:
  explicit drain_token(detail::runtime_context& rc) : rc_(rc) {}

  ~drain_token() {
    std::vector<std::function<void()>> fns;
    std::uint64_t hook = 0;
    {
      std::lock_guard lock(mtx_);
      fns.swap(waiters_);
      hook = hook_;
    }
    // (Touches the runtime only if stop(grace, on_stopped) was used.)
    if (hook != 0) rc_.cancel_on_stop(hook);
    for (auto& fn : fns) rc_.post_or_on_stop(std::move(fn));
  }

  drain_token(const drain_token&) = delete;
  drain_token& operator=(const drain_token&) = delete;

  void add(std::function<void()> fn) {
    {
      std::lock_guard lock(mtx_);
      if (!runtime_stopped_) {
        if (hook_ == 0) {
          hook_ = rc_.on_stop([w = weak_from_this()] {
            if (auto t = w.lock()) t->runtime_stopped();
          });
        }
        if (hook_ != 0) {
          waiters_.push_back(std::move(fn));
          return;
        }
      }
    }
    // The runtime is stopping: nothing more will happen on this server.
    detail::call_quietly("http_server on_stopped", fn);
  }

 private:
  void runtime_stopped() {
    std::vector<std::function<void()>> fns;
    {
      std::lock_guard lock(mtx_);
      runtime_stopped_ = true;
      fns.swap(waiters_);
    }
    for (auto& fn : fns) detail::call_quietly("http_server on_stopped", fn);
  }

  detail::runtime_context& rc_;
  std::mutex mtx_;
  std::vector<std::function<void()>> waiters_;
  std::uint64_t hook_ = 0;
  bool runtime_stopped_ = false;
};

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
                std::uint64_t id, http_request req, std::size_t max_stream)
      : conn_(std::move(conn)),
        core_(std::move(core)),
        id_(id),
        req_(std::move(req)),
        max_stream_(max_stream) {}

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
  std::atomic<bool> answered_{false};
};

// ---------------------------------------------------------------------------------------------
// Listening

tcp::endpoint resolve_listen(const std::string& listen, net::io_context& ioc) {
  auto fail = [&](const std::string& why) {
    return std::runtime_error("http_server: cannot listen on '" + listen + "': " + why);
  };
  std::string host;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      throw fail("expected [v6]:port");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw fail("expected host:port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  unsigned long port_number = 0;
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos ||
      (port_number = std::stoul(port)) > 65535) {
    throw fail("bad port");
  }
  if (host.empty() || host == "*") host = "0.0.0.0";
  error_code ec;
  const auto addr = net::ip::make_address(host, ec);
  if (!ec) return {addr, static_cast<unsigned short>(port_number)};
  // A name: resolved synchronously, start() runs on the caller's thread.
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(host, port, ec);
  if (ec || results.empty()) throw fail(ec ? ec.message() : "no address");
  return results.begin()->endpoint();
}

// The accept loop, on acceptor_strand (the acceptor's executor). Plain completion handlers rather
// than a coroutine: this file then instantiates no coroutine machinery (build time). The drain
// token travels with the loop: the acceptor counts as open until the loop is done.
void accept_next(std::shared_ptr<server_core> self, std::shared_ptr<drain_token> drain) {
  auto sock = std::make_shared<tcp::socket>(net::make_strand(self->ioc));
  auto& acceptor = *self->acceptor;
  acceptor.async_accept(*sock, [self = std::move(self), drain = std::move(drain),
                                sock](const error_code& ec) mutable {
    {
      std::lock_guard lock(self->mtx);
      if (self->stopping) return;
    }
    if (!self->acceptor->is_open() || ec == net::error::operation_aborted) return;
    if (ec) {
      // Transient (out of descriptors, aborted handshake): back off briefly instead of spinning.
      auto backoff = std::make_shared<net::steady_timer>(self->acceptor_strand, 50ms);
      backoff->async_wait([self, drain, backoff](const error_code&) mutable {
        accept_next(std::move(self), std::move(drain));
      });
      return;
    }
    try {
      self->admit(std::move(*sock));
    } catch (...) {
      detail::report_exception("http acceptor", std::current_exception());
      return;
    }
    accept_next(std::move(self), std::move(drain));
  });
}

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
                                             http_request req, std::size_t max_stream) {
  return std::make_shared<exchange_impl>(std::move(conn), std::move(core), id, std::move(req),
                                         max_stream);
}

// ---------------------------------------------------------------------------------------------
// server_core

server_core::server_core(detail::runtime_context& r, http_server_options o, http_handler h)
    : rc(r),
      ioc(r),
      opt(std::move(o)),
      handler(std::move(h)),
      acceptor_strand(net::make_strand(ioc)),
      drain(std::make_shared<drain_token>(r)),
      drain_weak(drain) {}

void server_core::start() {
  {
    std::lock_guard lock(mtx);
    if (started || stopping) return;
  }
  if (!opt.tls_cert_file.empty() || !opt.tls_key_file.empty()) {
    if (opt.tls_cert_file.empty() || opt.tls_key_file.empty()) {
      throw std::runtime_error("http_server: TLS needs both tls_cert_file and tls_key_file");
    }
    auto ctx = detail::server_tls_context(opt.tls_cert_file, opt.tls_key_file);
    std::lock_guard lock(mtx);
    if (started || stopping) return;
    tls = std::move(ctx);  // read by admit(), which runs only once the acceptor is up
  }
  const tcp::endpoint ep = resolve_listen(opt.listen, ioc);
  tcp::acceptor acc(acceptor_strand);
  error_code ec;
  auto fail = [&](const char* step) {
    return std::runtime_error("http_server: cannot listen on '" + opt.listen + "' (" + step +
                              "): " + ec.message());
  };
  acc.open(ep.protocol(), ec);
  if (ec) throw fail("open");
  acc.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) throw fail("setsockopt");
  acc.bind(ep, ec);
  if (ec) throw fail("bind");
  acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw fail("listen");
  const auto bound = acc.local_endpoint(ec);
  if (ec) throw fail("local_endpoint");
  std::shared_ptr<drain_token> token;
  {
    std::lock_guard lock(mtx);
    if (started || stopping) return;  // raced with another start() or stop()
    started = true;
    local = endpoint_string(bound);
    acceptor.emplace(std::move(acc));
    token = drain;
  }
  net::post(acceptor_strand, [self = shared_from_this(), token = std::move(token)]() mutable {
    accept_next(std::move(self), std::move(token));
  });
}

void server_core::admit(tcp::socket sock) {
  error_code ec;
  const auto remote_ep = sock.remote_endpoint(ec);
  if (ec) return;  // already gone
  sock.set_option(tcp::no_delay(true), ec);
  std::shared_ptr<connection_base> conn;
  std::shared_ptr<drain_token> token;
  {
    std::lock_guard lock(mtx);
    if (stopping) return;
    token = drain;
    if (conns.size() < opt.max_connections) {
      conn =
          make_connection(shared_from_this(), token, std::move(sock), endpoint_string(remote_ep));
      conns.emplace(conn.get(), conn);
    }
  }
  if (!conn) {
    // Over the limit: a short 503 (fits in the socket buffer, so the write cannot stall), then
    // close.
    static constexpr std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
        "27\r\n"
        "Connection: close\r\n\r\n{\"error\":\"too many clients\"}";
    auto sp = std::make_shared<tcp::socket>(std::move(sock));
    net::async_write(*sp, net::buffer(busy), [sp, token](const error_code&, std::size_t) {
      error_code ignored;
      sp->shutdown(tcp::socket::shutdown_both, ignored);
      sp->close(ignored);
    });
    return;
  }
  conn->start();
}

bool server_core::adopt(const std::shared_ptr<connection_base>& conn) {
  std::lock_guard lock(mtx);
  if (stopping) return false;
  conns.emplace(conn.get(), conn);
  return true;
}

void server_core::stop(std::chrono::milliseconds grace, std::function<void()> on_stopped) {
  std::vector<std::shared_ptr<connection_base>> live;
  std::shared_ptr<drain_token> token;
  bool first = false;
  {
    std::lock_guard lock(mtx);
    if (!stopping) {
      first = true;
      stopping = true;
      token = std::move(drain);  // from here on only the acceptor and the connections hold it
      live.reserve(conns.size());
      for (auto& [ptr, weak] : conns) {
        if (auto c = weak.lock()) live.push_back(std::move(c));
      }
    } else {
      token = drain_weak.lock();  // null once stopping has completed
    }
  }
  if (on_stopped) {
    if (token) {
      token->add(std::move(on_stopped));
    } else {
      rc.post_or_on_stop(std::move(on_stopped));  // already complete: at once
    }
  }
  if (!first || ioc.stopped())
    return;  // (if the runtime stopped, its stop hook settles on_stopped)
  net::post(acceptor_strand, [self = shared_from_this(), token] {
    if (self->acceptor) {
      error_code ec;
      self->acceptor->close(ec);
    }
  });
  if (grace.count() < 0) grace = 0ms;
  for (auto& c : live) c->begin_stop(grace);
}

}  // namespace server_detail

// ---------------------------------------------------------------------------------------------

struct http_server::impl {
  std::shared_ptr<server_detail::server_core> core;
};

http_server::http_server(io_runtime& rt, http_server_options options, http_handler handler)
    : impl_(std::make_shared<impl>()) {
  impl_->core = std::make_shared<server_detail::server_core>(
      detail::runtime_context::of(rt), std::move(options), std::move(handler));
}

http_server::~http_server() {
  if (!impl_) return;
  impl_->core->destroyed.store(true);
  impl_->core->stop(std::chrono::milliseconds{0}, {});
}

void http_server::start() { impl_->core->start(); }

std::string http_server::local_endpoint() const {
  std::lock_guard lock(impl_->core->mtx);
  return impl_->core->local;
}

void http_server::stop(std::chrono::milliseconds grace) { impl_->core->stop(grace, {}); }

void http_server::stop(std::chrono::milliseconds grace, std::function<void()> on_stopped) {
  impl_->core->stop(grace, std::move(on_stopped));
}

}  // namespace patchbay::kit
