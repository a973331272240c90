// The HTTP/1.1 server: the acceptor and server_core, the completion of stop(), and the public
// class. The exchange and stream objects the application holds are in http_exchange.cpp; the
// connections (the only part that needs Beast) in http_connection.cpp; see http_server_detail.hpp.
#include "http_server_detail.hpp"

#include "diagnostics_detail.hpp"
#include "patchbay/kit/runtime.hpp"
#include "runtime_context.hpp"
#include "tls.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <optional>
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

namespace {

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

// ---------------------------------------------------------------------------------------------
// server_core

server_core::server_core(detail::runtime_context& r, http_server_options o, http_handler h)
    : rc(r),
      ioc(r),
      opt(std::move(o)),
      handler(std::move(h)),
      acceptor_strand(net::make_strand(ioc)),
      bodies(std::make_shared<body_budget>(opt.max_total_body_bytes)),
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
  const std::string client = remote_ep.address().to_string();
  std::shared_ptr<drain_token> token;
  std::shared_ptr<admission_slot> slot;  // null when past every limit
  {
    std::lock_guard lock(mtx);
    if (stopping) return;
    token = drain;
    slot = take_slot(client);
  }
  if (!slot) {
    // Past every limit: a short 503 (fits in the socket buffer, so the write cannot stall), then
    // close.
    auto sp = std::make_shared<tcp::socket>(std::move(sock));
    net::async_write(*sp, net::buffer(too_many_clients_response()),
                     [sp, token](const error_code&, std::size_t) {
                       error_code ignored;
                       sp->shutdown(tcp::socket::shutdown_both, ignored);
                       sp->close(ignored);
                     });
    return;
  }
  // Made outside the lock: the slot's and the connection's destructors take it.
  auto conn = make_connection(shared_from_this(), token, std::move(slot), std::move(sock),
                              endpoint_string(remote_ep));
  {
    std::lock_guard lock(mtx);
    if (stopping) return;  // (conn, destroyed after the lock is released, closes the socket)
    conns.emplace(conn.get(), conn);
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
  // stop() locks a mutex and posts to the acceptor strand; either can throw (std::system_error,
  // std::bad_alloc). A destructor must not: report it instead.
  try {
    impl_->core->stop(std::chrono::milliseconds{0}, {});
  } catch (...) {
    detail::report_exception("http_server: stop on destruction failed", std::current_exception());
  }
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
