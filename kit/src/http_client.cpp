// http_fetch and its companions: the cancel handle, the blocking variant, the connection pool's
// settings and figures. The request itself is a fetch_op (http_fetch_op.cpp); the pool is
// http_pool.cpp; TLS contexts and sessions are tls_contexts.cpp.
#include "patchbay/kit/http_client.hpp"

#include "diagnostics_detail.hpp"
#include "http_fetch_op.hpp"
#include "http_pool.hpp"
#include "patchbay/kit/runtime.hpp"
#include "runtime_context.hpp"
#include "tls_contexts.hpp"
#include "url.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace patchbay::kit {

namespace net = boost::asio;
using detail::parse_url;
using detail::parsed_url;

void http_cancel::cancel() noexcept {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    fn = std::move(on_cancel_);
    on_cancel_ = nullptr;
  }
  detail::call_quietly("http_cancel hook", fn);
}

bool http_cancel::cancelled() const noexcept {
  std::lock_guard lock(mu_);
  return cancelled_;
}

bool http_cancel::attach(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (cancelled_) return false;
  on_cancel_ = std::move(fn);
  return true;
}

void http_cancel::detach() noexcept {
  std::function<void()> unused;  // released unlocked
  std::lock_guard lock(mu_);
  unused = std::move(on_cancel_);
  on_cancel_ = nullptr;
}

void http_fetch(io_runtime& rt, http_client_request request, http_client_callback done) {
  auto& rc = detail::runtime_context::of(rt);
  parsed_url url;
  std::string why = parse_url(request.url, url);
  if (!why.empty()) {
    rc.post_or_on_stop([done = std::move(done), why = "bad url: " + why]() mutable {
      if (done) done(std::move(why), http_client_response{});
    });
    return;
  }
  detail::start_fetch(net::make_strand(rc), &rc, std::move(request), std::move(url),
                      std::move(done));
}

void http_fetch_blocking(http_client_request request, std::string& error,
                         http_client_response& response) {
  parsed_url url;
  std::string why = parse_url(request.url, url);
  if (!why.empty()) {
    error = "bad url: " + why;
    response = {};
    return;
  }
  bool completed = false;  // declared before the io_context: outlives anything that could call back
  net::io_context ioc{1};
  detail::start_fetch(ioc.get_executor(), nullptr, std::move(request), std::move(url),
                      [&](std::string e, http_client_response r) {
                        completed = true;
                        error = std::move(e);
                        response = std::move(r);
                      });
  ioc.run();
  if (!completed) {
    error = "internal error: request did not complete";
    response = {};
  }
}

void http_pool_configure(io_runtime& rt, const http_pool_options& options) {
  if (auto pool = detail::http_pool::of(detail::runtime_context::of(rt))) pool->configure(options);
}

http_pool_stats http_pool_stats_of(io_runtime& rt) {
  auto pool = detail::http_pool::of(detail::runtime_context::of(rt));
  return pool ? pool->stats() : http_pool_stats{};
}

std::uint64_t http_tls_ca_file_loads() noexcept { return detail::ca_file_loads(); }

}  // namespace patchbay::kit
