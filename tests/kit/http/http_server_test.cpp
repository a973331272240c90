// http_server against real loopback sockets: the kit client and raw POSIX sockets.
#include "kit_test_support.hpp"

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace patchbay::kit;
using kit_test::port_of;
using kit_test::quick_request;
using kit_test::raw_client;
using kit_test::slot;
using kit_test::test_server;
using kit_test::wait_until;

TEST(KitHttpServer, GetAndPostRoundTrip) {
  std::mutex mtx;
  std::vector<http_request> seen;
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    const auto& req = ex->request();
    {
      std::lock_guard lock(mtx);
      seen.push_back(req);
    }
    http_response res;
    res.status = req.method == "POST" ? 201 : 200;
    res.content_type = "text/plain";
    res.headers.emplace_back("X-Echo", std::string(req.header("x-test")));
    res.body = req.method + " " + req.path + " q=" + req.query + " body=" + req.body;
    ex->respond(std::move(res));
  });

  auto get = quick_request(srv.url("/hello/world?a=1&b=2"));
  get.headers.emplace_back("X-Test", "alpha");
  auto r1 = kit_test::fetch(srv.rt, get);
  ASSERT_TRUE(r1.completed);
  ASSERT_EQ(r1.error, "");
  EXPECT_EQ(r1.response.status, 200u);
  EXPECT_EQ(r1.response.header("content-type"), "text/plain");
  EXPECT_EQ(r1.response.header("x-echo"), "alpha");
  EXPECT_EQ(r1.response.body, "GET /hello/world q=a=1&b=2 body=");

  auto post = quick_request(srv.url("/submit"));
  post.method = "POST";
  post.headers.emplace_back("X-Test", "beta");
  post.headers.emplace_back("Content-Type", "application/json");
  post.body = R"({"k":"v"})";
  auto r2 = kit_test::fetch(srv.rt, post);
  ASSERT_EQ(r2.error, "");
  EXPECT_EQ(r2.response.status, 201u);
  EXPECT_EQ(r2.response.header("X-Echo"), "beta");
  EXPECT_EQ(r2.response.body, R"(POST /submit q= body={"k":"v"})");

  std::lock_guard lock(mtx);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].header("content-type"), "application/json");
  EXPECT_EQ(seen[1].target, "/submit");
  EXPECT_EQ(seen[0].target, "/hello/world?a=1&b=2");
  EXPECT_EQ(seen[0].remote_address.rfind("127.0.0.1:", 0), 0u);
}

TEST(KitHttpServer, KeepAliveServesTwoRequestsOnOneConnection) {
  std::mutex mtx;
  std::vector<std::string> remotes;
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    {
      std::lock_guard lock(mtx);
      remotes.push_back(ex->request().remote_address);
    }
    http_response res;
    res.body = "reply to " + ex->request().path;
    ex->respond(std::move(res));
  });
  raw_client c(srv.port);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto first = c.read_response();
  EXPECT_NE(first.find("HTTP/1.1 200"), std::string::npos) << first;
  EXPECT_NE(first.find("reply to /one"), std::string::npos) << first;
  ASSERT_TRUE(c.send("GET /two HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto second = c.read_response();
  EXPECT_NE(second.find("reply to /two"), std::string::npos) << second;
  // Pipelined: both answered in order.
  ASSERT_TRUE(
      c.send("GET /three HTTP/1.1\r\nHost: x\r\n\r\nGET /four HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(c.read_response().find("reply to /three"), std::string::npos);
  EXPECT_NE(c.read_response().find("reply to /four"), std::string::npos);
  std::lock_guard lock(mtx);
  ASSERT_EQ(remotes.size(), 4u);
  EXPECT_EQ(remotes[0], remotes[1]);
  EXPECT_EQ(remotes[0], remotes[3]);
}

TEST(KitHttpServer, ConnectionCloseIsHonoured) {
  test_server srv([](std::shared_ptr<http_exchange> ex) { ex->respond({}); });
  raw_client c(srv.port);
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_NE(c.read_response().find("HTTP/1.1 200"), std::string::npos);
  EXPECT_TRUE(c.wait_closed(3s));
}

TEST(KitHttpServer, OversizeBodyGets413) {
  std::atomic<int> handled{0};
  http_server_options opt;
  opt.max_body_bytes = 1024;
  test_server srv(
      [&](std::shared_ptr<http_exchange> ex) {
        ++handled;
        ex->respond({});
      },
      opt);

  raw_client c(srv.port);
  const std::string body(5000, 'x');
  ASSERT_TRUE(c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + body));
  const auto res = c.read_response();
  EXPECT_EQ(res.rfind("HTTP/1.1 413", 0), 0u) << res;
  EXPECT_TRUE(c.wait_closed(3s));

  // Chunked upload past the limit: the limit applies to the decoded body as it arrives.
  raw_client c2(srv.port);
  ASSERT_TRUE(c2.send("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                      std::string(0x800, 'y') + "\r\n0\r\n\r\n"));
  EXPECT_EQ(c2.read_response().rfind("HTTP/1.1 413", 0), 0u);

  // Through the kit client too; a body within the limit still works.
  auto big = quick_request(srv.url("/big"));
  big.method = "POST";
  big.body = body;
  auto r = kit_test::fetch(srv.rt, big);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 413u);
  auto small = big;
  small.body = std::string(1024, 'z');
  auto r2 = kit_test::fetch(srv.rt, small);
  ASSERT_EQ(r2.error, "");
  EXPECT_EQ(r2.response.status, 200u);
  EXPECT_EQ(handled.load(), 1);
}

TEST(KitHttpServer, OversizeHeaderGets431) {
  http_server_options opt;
  opt.max_header_bytes = 1024;
  test_server srv([](std::shared_ptr<http_exchange> ex) { ex->respond({}); }, opt);
  raw_client c(srv.port);
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'h') + "\r\n\r\n"));
  const auto res = c.read_response();
  EXPECT_EQ(res.rfind("HTTP/1.1 431", 0), 0u) << res;
}

TEST(KitHttpServer, MalformedRequestGets400) {
  test_server srv([](std::shared_ptr<http_exchange> ex) { ex->respond({}); });
  raw_client c(srv.port);
  ASSERT_TRUE(c.send("GARBAGE\r\n\r\n"));
  EXPECT_EQ(c.read_response().rfind("HTTP/1.1 400", 0), 0u);
}

TEST(KitHttpServer, HandlerMayAnswerLaterFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex mtx;
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    std::lock_guard lock(mtx);
    workers.emplace_back([ex] {
      std::this_thread::sleep_for(50ms);
      http_response res;
      res.body = "late " + ex->request().path;
      ex->respond(std::move(res));
      ex->respond(http_response{});  // a second answer is ignored
    });
  });
  auto r = kit_test::fetch(srv.rt, quick_request(srv.url("/slow")));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(r.response.body, "late /slow");
  std::lock_guard lock(mtx);
  for (auto& t : workers) t.join();
}

TEST(KitHttpServer, DroppedExchangeAnswers500) {
  test_server srv([](std::shared_ptr<http_exchange>) {});
  auto r = kit_test::fetch(srv.rt, quick_request(srv.url("/dropped")));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 500u);
}

TEST(KitHttpServer, ThrowingHandlerAnswers500AndKeepsServing) {
  std::atomic<int> calls{0};
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    if (++calls == 1) throw std::runtime_error("boom");
    ex->respond({});
  });
  EXPECT_EQ(kit_test::fetch(srv.rt, quick_request(srv.url("/"))).response.status, 500u);
  EXPECT_EQ(kit_test::fetch(srv.rt, quick_request(srv.url("/"))).response.status, 200u);
}

TEST(KitHttpServer, StreamArrivesIncrementally) {
  slot<http_stream> streams;
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    streams.put(ex->start_stream(200, "text/event-stream", {{"Cache-Control", "no-cache"}}));
  });

  std::mutex mtx;
  std::vector<std::string> pieces;
  std::atomic<bool> stream_closed{false};
  std::atomic<bool> first_before_close{false};
  auto req = quick_request(srv.url("/events"));
  req.on_body_chunk = [&](std::string_view piece) {
    std::lock_guard lock(mtx);
    if (pieces.empty() && !stream_closed.load()) first_before_close = true;
    pieces.emplace_back(piece);
    return true;
  };
  auto fut = std::async(std::launch::async, [&] { return kit_test::fetch(srv.rt, req); });

  auto stream = streams.get();
  ASSERT_TRUE(stream);
  EXPECT_FALSE(stream->closed());
  ASSERT_TRUE(stream->write("data: one\n\n"));
  // The client sees the first event while the stream is still open.
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mtx);
    return !pieces.empty();
  }));
  ASSERT_TRUE(stream->write("data: two\n\n"));
  ASSERT_TRUE(stream->write(""));  // empty writes are ignored, not a premature end
  stream_closed = true;
  stream->close();
  stream->close();  // idempotent
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->write("late"));

  const auto r = fut.get();
  ASSERT_TRUE(r.completed);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(r.response.header("content-type"), "text/event-stream");
  EXPECT_EQ(r.response.header("cache-control"), "no-cache");
  EXPECT_EQ(r.response.header("transfer-encoding"), "chunked");
  EXPECT_EQ(r.response.body, "");  // delivered through on_body_chunk only
  EXPECT_TRUE(first_before_close.load());
  std::lock_guard lock(mtx);
  std::string all;
  for (auto& p : pieces) all += p;
  EXPECT_EQ(all, "data: one\n\ndata: two\n\n");
}

TEST(KitHttpServer, KeepAliveContinuesAfterAStream) {
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    if (ex->request().path == "/stream") {
      auto s = ex->start_stream(200, "text/plain");
      s->write("abc");
      s->close();
    } else {
      http_response res;
      res.body = "plain";
      ex->respond(std::move(res));
    }
  });
  raw_client c(srv.port);
  ASSERT_TRUE(c.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto streamed = c.read_until("0\r\n\r\n");
  EXPECT_NE(streamed.find("Transfer-Encoding: chunked"), std::string::npos) << streamed;
  EXPECT_NE(streamed.find("3\r\nabc\r\n0\r\n\r\n"), std::string::npos) << streamed;
  ASSERT_TRUE(c.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto after = c.read_response();
  EXPECT_NE(after.find("plain"), std::string::npos) << after;
}

TEST(KitHttpServer, DroppingTheStreamHandleEndsTheResponse) {
  test_server srv([](std::shared_ptr<http_exchange> ex) {
    auto s = ex->start_stream(200, "text/plain");
    s->write("partial");
    // s goes out of scope without close()
  });
  auto r = kit_test::fetch(srv.rt, quick_request(srv.url("/")));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.body, "partial");
}

TEST(KitHttpServer, ClientDisconnectWhileStreamingFiresPeerGone) {
  slot<http_stream> streams;
  std::atomic<int> gone_calls{0};
  std::atomic<bool> gone_on_io_thread{false};
  const auto test_thread = std::this_thread::get_id();
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    auto s = ex->start_stream(200, "text/event-stream");
    s->on_peer_gone([&] {
      gone_on_io_thread = std::this_thread::get_id() != test_thread;
      ++gone_calls;
    });
    streams.put(s);
  });
  {
    raw_client c(srv.port);
    ASSERT_TRUE(c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto s = streams.get();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->write("data: hello\n\n"));
    const auto got = c.read_until("data: hello");
    EXPECT_NE(got.find("data: hello"), std::string::npos);
  }  // the client goes away
  auto s = streams.get();
  ASSERT_TRUE(wait_until([&] { return gone_calls.load() == 1; }));
  EXPECT_TRUE(gone_on_io_thread.load());
  EXPECT_TRUE(s->closed());
  EXPECT_FALSE(s->write("data: anyone?\n\n"));
  s->close();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(gone_calls.load(), 1);

  // Registering after the fact still reports it (once).
  std::atomic<int> late_calls{0};
  s->on_peer_gone([&] { ++late_calls; });
  ASSERT_TRUE(wait_until([&] { return late_calls.load() == 1; }));
}

TEST(KitHttpServer, StreamBufferLimitRejectsWrites) {
  slot<http_stream> streams;
  http_server_options opt;
  opt.max_stream_buffer_bytes = 1000;
  test_server srv(
      [&](std::shared_ptr<http_exchange> ex) { streams.put(ex->start_stream(200, "text/plain")); },
      opt);
  raw_client c(srv.port);
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto s = streams.get();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->write(std::string(1001, 'x')));
  EXPECT_TRUE(s->write(std::string(10, 'y')));
  EXPECT_FALSE(s->closed());
  s->close();
  EXPECT_NE(c.read_until("0\r\n\r\n").find("yyyyyyyyyy"), std::string::npos);
}

TEST(KitHttpServer, StopClosesIdleAtOnceAndInFlightStreamAfterGrace) {
  slot<http_stream> streams;
  std::atomic<int> gone_calls{0};
  test_server srv([&](std::shared_ptr<http_exchange> ex) {
    auto s = ex->start_stream(200, "text/event-stream");
    s->on_peer_gone([&] { ++gone_calls; });
    streams.put(s);
  });
  raw_client idle(srv.port);
  raw_client streaming(srv.port);
  ASSERT_TRUE(streaming.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto s = streams.get();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->write("data: x\n\n"));
  EXPECT_NE(streaming.read_until("data: x").find("data: x"), std::string::npos);

  const auto t0 = std::chrono::steady_clock::now();
  srv.server->stop(300ms);
  srv.server->stop(300ms);                                  // idempotent
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);  // returns at once
  EXPECT_TRUE(idle.wait_closed(2s));
  // The stream keeps flowing during the grace period...
  EXPECT_TRUE(s->write("data: still\n\n"));
  EXPECT_NE(streaming.read_until("data: still", 2s).find("data: still"), std::string::npos);
  // ...and is cut when it ends.
  EXPECT_TRUE(streaming.wait_closed(5s));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 4s);
  ASSERT_TRUE(wait_until([&] { return gone_calls.load() == 1; }));
  EXPECT_FALSE(s->write("data: after\n\n"));
  // No longer accepting.
  ASSERT_TRUE(wait_until([&] {
    raw_client late(srv.port);
    return !late.connected() || late.wait_closed(200ms);
  }));
}

TEST(KitHttpServer, StopWithGraceLetsAPendingAnswerFinish) {
  slot<http_exchange> exchanges;
  test_server srv([&](std::shared_ptr<http_exchange> ex) { exchanges.put(ex); });
  raw_client c(srv.port);
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto ex = exchanges.get();
  ASSERT_TRUE(ex);
  srv.server->stop(3s);
  std::this_thread::sleep_for(50ms);
  http_response res;
  res.body = "finished in grace";
  ex->respond(std::move(res));
  const auto got = c.read_response();
  EXPECT_NE(got.find("finished in grace"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  EXPECT_TRUE(c.wait_closed(2s));
}

TEST(KitHttpServer, RuntimeShutsDownWithOpenStreamAfterStop) {
  slot<http_stream> streams;
  auto rt = std::make_unique<io_runtime>(2);
  http_server_options opt;
  opt.listen = "127.0.0.1:0";
  auto server = std::make_unique<http_server>(*rt, opt, [&](std::shared_ptr<http_exchange> ex) {
    streams.put(ex->start_stream(200, "text/plain"));
  });
  server->start();
  raw_client c(port_of(server->local_endpoint()));
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto s = streams.get();
  ASSERT_TRUE(s);
  server->stop(10s);  // long grace: destroying the runtime must not wait for it
  const auto t0 = std::chrono::steady_clock::now();
  server.reset();
  rt.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  s->write("ignored");  // the stream outlives everything; must stay harmless
  s->close();
}

TEST(KitHttpServer, MaxConnectionsRejectsExtraClients) {
  http_server_options opt;
  opt.max_connections = 1;
  test_server srv([](std::shared_ptr<http_exchange> ex) { ex->respond({}); }, opt);
  raw_client first(srv.port);
  ASSERT_TRUE(first.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(first.read_response().find("200"), std::string::npos);
  raw_client second(srv.port);
  const auto rejected = second.read_response(3s);
  EXPECT_EQ(rejected.rfind("HTTP/1.1 503", 0), 0u) << rejected;
  EXPECT_TRUE(second.wait_closed(3s));
  first.close();
  // Once the first connection is gone, a new one is served.
  ASSERT_TRUE(wait_until([&] {
    auto r = kit_test::fetch(srv.rt, quick_request(srv.url("/")));
    return r.error.empty() && r.response.status == 200u;
  }));
}

TEST(KitHttpServer, HeaderTimeoutClosesSilentConnections) {
  http_server_options opt;
  opt.header_timeout = 150ms;
  test_server srv([](std::shared_ptr<http_exchange> ex) { ex->respond({}); }, opt);
  raw_client c(srv.port);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);
}

TEST(KitHttpServer, BindFailureNamesTheAddress) {
  test_server srv([](std::shared_ptr<http_exchange> ex) { ex->respond({}); });
  io_runtime rt(1);
  http_server_options opt;
  opt.listen = srv.endpoint;  // already in use
  http_server second(rt, opt, [](std::shared_ptr<http_exchange>) {});
  try {
    second.start();
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(srv.endpoint), std::string::npos) << e.what();
  }
  opt.listen = "not-an-address";
  http_server third(rt, opt, [](std::shared_ptr<http_exchange>) {});
  EXPECT_THROW(third.start(), std::runtime_error);
}

}  // namespace
