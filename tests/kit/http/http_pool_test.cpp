// Connection reuse in http_fetch (the runtime's pool) against real loopback servers: the kit
// server (which tells each request's client address, so connections can be counted) and a small
// scripted keep-alive server that drops a connection on the request it is told to.
#include "kit_test_support.hpp"

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <map>
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

http_client_request quick(const std::string& url, const std::string& method = "GET") {
  http_client_request req = kit_test::quick_request(url, method);
  if (method == "POST") req.body = R"({"n":1})";
  return req;
}

// A kit server answering 200 "ok" to everything; records which client address (so which TCP
// connection) sent each request.
struct counting_server {
  explicit counting_server(http_server_options opt = {})
      : srv(
            [this](std::shared_ptr<http_exchange> ex) {
              {
                std::lock_guard lock(mtx);
                seen.push_back(ex->request().method + " " + ex->request().target + " " +
                               ex->request().remote_address);
                peers.insert(ex->request().remote_address);
              }
              ex->respond(http_response{200, "text/plain", {}, "ok"});
            },
            opt) {}
  std::size_t connections() {
    std::lock_guard lock(mtx);
    return peers.size();
  }
  std::size_t requests_to(const std::string& target) {
    std::lock_guard lock(mtx);
    std::size_t n = 0;
    for (const auto& s : seen)
      if (s.find(" " + target + " ") != std::string::npos) ++n;
    return n;
  }
  std::mutex mtx;
  std::vector<std::string> seen;
  std::set<std::string> peers;
  kit_test::test_server srv;
};

TEST(KitHttpPool, ManyCallsShareOneConnection) {
  counting_server server;
  io_runtime rt(1);
  for (int i = 0; i < 20; ++i) {
    auto r = fetch(rt, quick(server.srv.url("/n" + std::to_string(i)), i % 2 ? "POST" : "GET"));
    ASSERT_EQ(r.error, "") << i;
    ASSERT_EQ(r.response.status, 200u);
    EXPECT_EQ(r.response.body, "ok");
  }
  EXPECT_EQ(server.connections(), 1u);
  const auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.opened, 1u);
  EXPECT_EQ(st.reused, 19u);
  EXPECT_EQ(st.idle, 1u);
}

TEST(KitHttpPool, OptingOutAndStreamedBodiesUseTheirOwnConnections) {
  counting_server server;
  io_runtime rt(1);
  for (int i = 0; i < 3; ++i) {
    auto req = quick(server.srv.url("/own"));
    req.reuse_connection = false;
    ASSERT_EQ(fetch(rt, req).error, "");
  }
  for (int i = 0; i < 3; ++i) {
    auto req = quick(server.srv.url("/streamed"));
    std::string got;
    req.on_body_chunk = [&got](std::string_view piece) {
      got.append(piece);
      return true;
    };
    ASSERT_EQ(fetch(rt, req).error, "");
    EXPECT_EQ(got, "ok");
  }
  EXPECT_EQ(server.connections(), 6u);
  const auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.reused, 0u);
  EXPECT_EQ(st.idle, 0u);
}

TEST(KitHttpPool, AnIdleConnectionTheServerClosedIsReplacedAndTheRequestSentOnce) {
  http_server_options opt;
  opt.idle_timeout = 100ms;  // the server closes a keep-alive connection idle that long
  counting_server server(opt);
  io_runtime rt(1);
  ASSERT_EQ(fetch(rt, quick(server.srv.url("/first"))).error, "");
  ASSERT_EQ(http_pool_stats_of(rt).idle, 1u);
  std::this_thread::sleep_for(1000ms);  // well past the server's idle timeout
  // A POST (not retry-safe): it must go out on a fresh connection, once.
  auto r = fetch(rt, quick(server.srv.url("/second"), "POST"));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(server.requests_to("/second"), 1u);
  EXPECT_EQ(server.connections(), 2u);
  const auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.opened, 2u);
  EXPECT_EQ(st.stale, 1u);
  EXPECT_EQ(st.retried, 0u);
}

// A keep-alive HTTP/1.1 server on 127.0.0.1 (a thread per connection) that answers the first
// request of every connection and, on a connection's second request, reads it and closes the
// connection without answering: a server that timed the connection out just as it was reused.
class dropping_server {
 public:
  dropping_server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~dropping_server() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : conns_) t.join();
    ::close(fd_);
  }
  dropping_server(const dropping_server&) = delete;
  dropping_server& operator=(const dropping_server&) = delete;

  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }
  // "conn#: METHOD target", in arrival order.
  std::vector<std::string> log() {
    std::lock_guard lock(mtx_);
    return log_;
  }
  std::size_t accepted() const { return accepted_; }
  std::size_t closed_by_client() const { return closed_by_client_; }

 private:
  static bool readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
  }
  void accept_loop() {
    while (!stop_) {
      if (!readable(fd_, 20)) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      const std::size_t id = ++accepted_;
      conns_.emplace_back([this, c, id] { serve(c, id); });
    }
  }
  void serve(int c, std::size_t id) {
    std::string buf;
    int answered = 0;
    while (!stop_) {
      const auto end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t body = 0;
        const auto cl = buf.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) body = std::stoul(buf.substr(cl + 16));
        if (buf.size() < end + 4 + body) goto more;
        {
          std::lock_guard lock(mtx_);
          log_.push_back(std::to_string(id) + ": " + buf.substr(0, buf.find(" HTTP/1.1")));
        }
        buf.erase(0, end + 4 + body);
        if (answered++ == 1) break;  // the second request: dropped
        const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        continue;
      }
    more:
      if (!readable(c, 20)) continue;
      char tmp[4096];
      const ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) {
        ++closed_by_client_;
        break;
      }
      buf.append(tmp, static_cast<std::size_t>(n));
    }
    ::close(c);
  }

  int fd_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> closed_by_client_{0};
  std::mutex mtx_;
  std::vector<std::string> log_;
  std::thread acceptor_;
  std::vector<std::thread> conns_;  // only the acceptor thread adds (joined first)
};

TEST(KitHttpPool, AGetOnADeadPooledConnectionIsResentOnceOnAFreshOne) {
  dropping_server server;
  io_runtime rt(1);
  ASSERT_EQ(fetch(rt, quick(server.url("/a"))).error, "");
  auto r = fetch(rt, quick(server.url("/b")));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.body, "ok");
  EXPECT_EQ(server.log(), (std::vector<std::string>{"1: GET /a", "1: GET /b", "2: GET /b"}));
  const auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.retried, 1u);
  EXPECT_EQ(st.opened, 2u);
}

TEST(KitHttpPool, APostOnADeadPooledConnectionIsNotResent) {
  dropping_server server;
  io_runtime rt(1);
  ASSERT_EQ(fetch(rt, quick(server.url("/a"))).error, "");
  auto r = fetch(rt, quick(server.url("/pay"), "POST"));
  EXPECT_EQ(r.error, "connection closed before the response");
  std::this_thread::sleep_for(200ms);  // a resend would have arrived by now
  EXPECT_EQ(server.log(), (std::vector<std::string>{"1: GET /a", "1: POST /pay"}));
  EXPECT_EQ(server.accepted(), 1u);
  EXPECT_EQ(http_pool_stats_of(rt).retried, 0u);
}

TEST(KitHttpPool, ARetrySafePostIsResentOnce) {
  dropping_server server;
  io_runtime rt(1);
  ASSERT_EQ(fetch(rt, quick(server.url("/a"))).error, "");
  auto req = quick(server.url("/send"), "POST");
  req.retry_safe = true;  // e.g. its body carries an idempotency key
  auto r = fetch(rt, req);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(server.log(),
            (std::vector<std::string>{"1: GET /a", "1: POST /send", "2: POST /send"}));
  EXPECT_EQ(http_pool_stats_of(rt).retried, 1u);
}

// Starts `n` requests at once and waits for all.
std::vector<kit_test::fetch_result> fetch_all(io_runtime& rt,
                                              const std::vector<http_client_request>& reqs) {
  std::vector<std::future<kit_test::fetch_result>> futures;
  futures.reserve(reqs.size());
  for (const auto& req : reqs)
    futures.push_back(std::async(std::launch::async, [&rt, req] { return fetch(rt, req); }));
  std::vector<kit_test::fetch_result> out;
  out.reserve(futures.size());
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

// A kit server that holds every request until `hold` of them arrived, then answers them all: so
// that `hold` concurrent requests need `hold` connections.
struct gathering_server {
  explicit gathering_server(std::size_t hold)
      : srv([this, hold](std::shared_ptr<http_exchange> ex) {
          std::vector<std::shared_ptr<http_exchange>> ready;
          {
            std::lock_guard lock(mtx);
            held.push_back(std::move(ex));
            if (held.size() % hold == 0) ready.swap(held);
          }
          for (auto& e : ready) e->respond(http_response{200, "text/plain", {}, "ok"});
        }) {}
  std::mutex mtx;
  std::vector<std::shared_ptr<http_exchange>> held;
  kit_test::test_server srv;
};

TEST(KitHttpPool, IdleConnectionsAreBoundedPerOrigin) {
  gathering_server server(4);
  io_runtime rt(2);
  http_pool_options opt;
  opt.max_idle_per_origin = 2;
  http_pool_configure(rt, opt);
  for (const auto& r :
       fetch_all(rt, std::vector<http_client_request>(4, quick(server.srv.url("/x")))))
    ASSERT_EQ(r.error, "");
  auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.opened, 4u);
  EXPECT_EQ(st.idle, 2u);
}

TEST(KitHttpPool, IdleConnectionsAreBoundedInTotal) {
  gathering_server a(2);
  gathering_server b(2);
  io_runtime rt(2);
  http_pool_options opt;
  opt.max_idle_per_origin = 2;
  opt.max_idle_total = 3;
  http_pool_configure(rt, opt);
  for (const auto& r : fetch_all(rt, std::vector<http_client_request>(2, quick(a.srv.url("/a")))))
    ASSERT_EQ(r.error, "");
  EXPECT_EQ(http_pool_stats_of(rt).idle, 2u);
  for (const auto& r : fetch_all(rt, std::vector<http_client_request>(2, quick(b.srv.url("/b")))))
    ASSERT_EQ(r.error, "");
  const auto st = http_pool_stats_of(rt);
  EXPECT_EQ(st.opened, 4u);
  EXPECT_EQ(st.idle, 3u);
}

TEST(KitHttpPool, IdleConnectionsCloseAfterTheIdleTimeout) {
  dropping_server server;
  io_runtime rt(1);
  http_pool_options opt;
  opt.idle_timeout = 100ms;
  http_pool_configure(rt, opt);
  ASSERT_EQ(fetch(rt, quick(server.url("/a"))).error, "");
  EXPECT_TRUE(kit_test::wait_until([&] { return http_pool_stats_of(rt).expired == 1; }));
  EXPECT_EQ(http_pool_stats_of(rt).idle, 0u);
  EXPECT_TRUE(kit_test::wait_until([&] { return server.closed_by_client() == 1; }));
}

TEST(KitHttpPool, AConnectionServesAtMostMaxRequests) {
  counting_server server;
  io_runtime rt(1);
  http_pool_options opt;
  opt.max_requests_per_connection = 3;
  http_pool_configure(rt, opt);
  for (int i = 0; i < 7; ++i) ASSERT_EQ(fetch(rt, quick(server.srv.url("/m"))).error, "");
  EXPECT_EQ(server.connections(), 3u);
  EXPECT_EQ(http_pool_stats_of(rt).opened, 3u);
}

TEST(KitHttpPool, StoppingTheRuntimeClosesPooledConnections) {
  gathering_server gather(3);
  dropping_server server;
  auto rt = std::make_unique<io_runtime>(2);
  for (const auto& r :
       fetch_all(*rt, std::vector<http_client_request>(3, quick(gather.srv.url("/g")))))
    ASSERT_EQ(r.error, "");
  ASSERT_EQ(fetch(*rt, quick(server.url("/a"))).error, "");
  ASSERT_EQ(http_pool_stats_of(*rt).idle, 4u);
  rt->stop();
  EXPECT_EQ(http_pool_stats_of(*rt).idle, 0u);
  EXPECT_TRUE(kit_test::wait_until([&] { return server.closed_by_client() == 1; }));
  // A request on the stopped runtime still completes (aborted) and pools nothing.
  auto r = fetch(*rt, quick(server.url("/late")));
  EXPECT_EQ(r.error, "aborted");
  rt.reset();  // under ASan: nothing leaked, no socket or timer outlives the runtime
}

}  // namespace
