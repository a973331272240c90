// The pool's per-origin connection limit (http_pool_options::max_connections_per_origin) against
// real loopback kit servers: requests past the limit wait for a pooled connection instead of
// opening their own, every waiter ends once (answered, on its deadline, cancelled, refused when
// the queue is full, or aborted when the runtime stops).
#include "kit_test_support.hpp"

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace patchbay::kit;
using kit_test::fetch;

http_client_request quick(const std::string& url) {
  http_client_request req;
  req.url = url;
  req.connect_timeout = 5s;
  req.first_byte_timeout = 8s;
  req.idle_timeout = 8s;
  req.total_timeout = 10s;
  return req;
}

// A kit server that holds the requests to /hold until release() and answers the others at once,
// unless `gather` > 0: then it holds every request until `gather` of them arrived and answers
// those together (so that `gather` requests in flight need `gather` connections). Records the
// client address (the TCP connection) of every request.
struct holding_server {
  explicit holding_server(std::size_t gather = 0)
      : srv([this, gather](std::shared_ptr<http_exchange> ex) {
          std::vector<std::shared_ptr<http_exchange>> ready;
          {
            std::lock_guard lock(mtx);
            peers.insert(ex->request().remote_address);
            ++requests;
            if (gather > 0) {
              gathered.push_back(ex);
              if (gathered.size() == gather) ready.swap(gathered);
            } else if (ex->request().target == "/hold") {
              held.push_back(ex);
            } else {
              ready.push_back(ex);
            }
          }
          for (auto& e : ready) e->respond(http_response{200, "text/plain", {}, "ok"});
        }) {}
  ~holding_server() { release(); }
  void release() {
    std::vector<std::shared_ptr<http_exchange>> ready;
    {
      std::lock_guard lock(mtx);
      ready.swap(held);
    }
    for (auto& e : ready) e->respond(http_response{200, "text/plain", {}, "held"});
  }
  std::size_t held_now() {
    std::lock_guard lock(mtx);
    return held.size();
  }
  std::size_t connections() {
    std::lock_guard lock(mtx);
    return peers.size();
  }
  std::mutex mtx;
  std::set<std::string> peers;
  std::size_t requests = 0;
  std::vector<std::shared_ptr<http_exchange>> held, gathered;
  kit_test::test_server srv;
};

// A request started in the background; its callback's calls are counted (in a state the callback
// shares, so a callback that comes late never touches a destroyed test object).
struct pending {
  struct state {
    std::mutex mtx;
    int calls = 0;
    std::string error, body;
  };
  explicit pending(io_runtime& rt, http_client_request req) : s(std::make_shared<state>()) {
    http_fetch(rt, std::move(req), [st = s](std::string e, http_client_response r) {
      std::lock_guard lock(st->mtx);
      ++st->calls;
      st->error = std::move(e);
      st->body = std::move(r.body);
    });
  }
  bool done() const {
    std::lock_guard lock(s->mtx);
    return s->calls > 0;
  }
  int calls() const {
    std::lock_guard lock(s->mtx);
    return s->calls;
  }
  std::string error() const {
    std::lock_guard lock(s->mtx);
    return s->error;
  }
  std::string body() const {
    std::lock_guard lock(s->mtx);
    return s->body;
  }
  std::shared_ptr<state> s;
};

http_pool_options limit(std::size_t per_origin, std::size_t waiting = 4096) {
  http_pool_options opt;
  opt.max_connections_per_origin = per_origin;
  opt.max_waiting_per_origin = waiting;
  return opt;
}

TEST(KitHttpPoolLimit, ConcurrentRequestsOverTheLimitShareAtMostLimitConnections) {
  constexpr std::size_t lim = 4;
  constexpr std::size_t n = 40;
  holding_server server(lim);  // answers in groups of `lim`: each group needs `lim` connections
  io_runtime rt(2);
  http_pool_configure(rt, limit(lim));
  std::vector<std::unique_ptr<pending>> reqs;
  for (std::size_t i = 0; i < n; ++i)
    reqs.push_back(std::make_unique<pending>(rt, quick(server.srv.url("/r"))));
  ASSERT_TRUE(kit_test::wait_until(
      [&] {
        for (auto& r : reqs)
          if (!r->done()) return false;
        return true;
      },
      20s));
  for (auto& r : reqs) {
    EXPECT_EQ(r->calls(), 1);
    EXPECT_EQ(r->error(), "");
    EXPECT_EQ(r->body(), "ok");
  }
  EXPECT_EQ(server.connections(), lim);
  const auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.opened, lim);
  EXPECT_EQ(st.reused, n - lim);
  EXPECT_GT(st.waited, 0u);  // while the first `lim` were held, the others queued
  EXPECT_EQ(st.waiting, 0u);
  EXPECT_EQ(st.connections, lim);  // all idle now, still counted
  EXPECT_EQ(st.idle, lim);
}

TEST(KitHttpPoolLimit, AWaiterFailsOnItsOwnDeadline) {
  holding_server server;
  io_runtime rt(2);
  http_pool_configure(rt, limit(1));
  pending first(rt, quick(server.srv.url("/hold")));
  ASSERT_TRUE(kit_test::wait_until([&] { return server.held_now() == 1; }));

  auto connect_bound = quick(server.srv.url("/a"));
  connect_bound.connect_timeout = 200ms;
  auto r = fetch(rt, connect_bound);
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.error, "connect timeout");

  auto total_bound = quick(server.srv.url("/b"));
  total_bound.total_timeout = 200ms;
  r = fetch(rt, total_bound);
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.error, "total timeout");

  auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.waited, 2u);
  EXPECT_EQ(st.waiting, 0u);
  EXPECT_EQ(st.connections, 1u);
  EXPECT_FALSE(first.done());
  // The timed-out waiters left nothing behind: the held request's connection serves the next.
  server.release();
  ASSERT_TRUE(kit_test::wait_until([&] { return first.done(); }));
  EXPECT_EQ(first.error(), "");
  EXPECT_EQ(fetch(rt, quick(server.srv.url("/c"))).error, "");
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(http_pool_stats_of(rt).opened, 1u);
}

TEST(KitHttpPoolLimit, CancellingAWaiterCompletesItOnce) {
  holding_server server;
  io_runtime rt(2);
  http_pool_configure(rt, limit(1));
  pending first(rt, quick(server.srv.url("/hold")));
  ASSERT_TRUE(kit_test::wait_until([&] { return server.held_now() == 1; }));
  auto req = quick(server.srv.url("/w"));
  req.cancel = std::make_shared<http_cancel>();
  auto cancel = req.cancel;
  pending waiter(rt, std::move(req));
  ASSERT_TRUE(kit_test::wait_until([&] { return http_pool_stats_of(rt).waiting == 1; }));
  cancel->cancel();
  ASSERT_TRUE(kit_test::wait_until([&] { return waiter.done(); }));
  EXPECT_EQ(http_pool_stats_of(rt).waiting, 0u);
  server.release();  // the connection comes back to nobody waiting: it goes idle
  ASSERT_TRUE(kit_test::wait_until([&] { return first.done(); }));
  ASSERT_TRUE(kit_test::wait_until([&] { return http_pool_stats_of(rt).idle == 1; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(waiter.calls(), 1);
  EXPECT_EQ(waiter.error(), "cancelled");
  EXPECT_EQ(fetch(rt, quick(server.srv.url("/after"))).error, "");
  EXPECT_EQ(http_pool_stats_of(rt).opened, 1u);
}

TEST(KitHttpPoolLimit, AFullQueueRefusesAtOnce) {
  holding_server server;
  io_runtime rt(2);
  http_pool_configure(rt, limit(1, 1));
  pending first(rt, quick(server.srv.url("/hold")));
  ASSERT_TRUE(kit_test::wait_until([&] { return server.held_now() == 1; }));
  pending second(rt, quick(server.srv.url("/queued")));
  ASSERT_TRUE(kit_test::wait_until([&] { return http_pool_stats_of(rt).waiting == 1; }));
  auto r = fetch(rt, quick(server.srv.url("/refused")), 3s);
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.error, "connection pool queue full");
  const auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.refused, 1u);
  EXPECT_EQ(st.connections, 1u);
  server.release();
  ASSERT_TRUE(kit_test::wait_until([&] { return first.done() && second.done(); }));
  EXPECT_EQ(first.error(), "");
  EXPECT_EQ(second.error(), "");  // it got the first request's connection
  EXPECT_EQ(server.connections(), 1u);
}

TEST(KitHttpPoolLimit, AClosedConnectionLetsAWaiterOpenAFreshOne) {
  holding_server server;
  io_runtime rt(2);
  http_pool_configure(rt, limit(1));
  auto closing = quick(server.srv.url("/hold"));
  closing.headers.emplace_back("Connection", "close");  // not reusable: closed after its answer
  pending first(rt, closing);
  ASSERT_TRUE(kit_test::wait_until([&] { return server.held_now() == 1; }));
  pending second(rt, quick(server.srv.url("/next")));
  ASSERT_TRUE(kit_test::wait_until([&] { return http_pool_stats_of(rt).waiting == 1; }));
  EXPECT_EQ(http_pool_stats_of(rt).opened, 1u);
  server.release();
  ASSERT_TRUE(kit_test::wait_until([&] { return first.done() && second.done(); }));
  EXPECT_EQ(first.error(), "");
  EXPECT_EQ(second.error(), "");
  const auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.opened, 2u);
  EXPECT_EQ(st.connections, 1u);
  EXPECT_EQ(server.connections(), 2u);
}

TEST(KitHttpPoolLimit, StoppingTheRuntimeEndsWaitersOnce) {
  holding_server server;
  auto rt = std::make_unique<io_runtime>(2);
  http_pool_configure(*rt, limit(1));
  pending first(*rt, quick(server.srv.url("/hold")));
  ASSERT_TRUE(kit_test::wait_until([&] { return server.held_now() == 1; }));
  std::vector<std::unique_ptr<pending>> waiters;
  for (int i = 0; i < 3; ++i)
    waiters.push_back(std::make_unique<pending>(*rt, quick(server.srv.url("/w"))));
  ASSERT_TRUE(kit_test::wait_until([&] { return http_pool_stats_of(*rt).waiting == 3; }));
  rt->stop();
  for (auto& w : waiters) {
    EXPECT_EQ(w->calls(), 1);
    EXPECT_EQ(w->error(), "aborted");
  }
  EXPECT_EQ(first.calls(), 1);
  EXPECT_EQ(first.error(), "aborted");
}

}  // namespace
