// http_server::stop(grace, on_stopped): when the completion callback fires, against real
// loopback sockets.
#include "kit_test_support.hpp"

#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

namespace {

using namespace std::chrono_literals;
using namespace patchbay::kit;
using kit_test::port_of;
using kit_test::raw_client;
using kit_test::slot;
using kit_test::test_server;
using clock_type = std::chrono::steady_clock;

// Records every call; the first one also fulfils a future with the calling thread.
struct stop_probe {
  std::atomic<int> calls{0};
  std::promise<std::thread::id> first;
  std::future<std::thread::id> fired = first.get_future();
  std::function<void()> callback() {
    return [this] {
      if (calls.fetch_add(1) == 0) first.set_value(std::this_thread::get_id());
    };
  }
};

// A stream that the handler opens and never closes.
struct open_stream {
  slot<http_stream> streams;
  http_handler handler() {
    return [this](std::shared_ptr<http_exchange> ex) {
      streams.put(ex->start_stream(200, "text/event-stream"));
    };
  }
};

TEST(KitHttpServerStop, StreamInFlightDelaysOnStoppedUntilTheGraceDeadline) {
  open_stream os;
  test_server srv(os.handler());
  raw_client streaming(srv.port);
  ASSERT_TRUE(streaming.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto s = os.streams.get();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->write("data: x\n\n"));
  EXPECT_NE(streaming.read_until("data: x").find("data: x"), std::string::npos);

  stop_probe probe;
  const auto t0 = clock_type::now();
  srv.server->stop(600ms, probe.callback());
  EXPECT_LT(clock_type::now() - t0, 200ms);  // returns at once
  // Not while the stream is still flowing...
  EXPECT_EQ(probe.fired.wait_for(300ms), std::future_status::timeout);
  EXPECT_TRUE(s->write("data: still\n\n"));
  EXPECT_NE(streaming.read_until("data: still", 2s).find("data: still"), std::string::npos);
  // ...but once the grace period cut it off.
  ASSERT_EQ(probe.fired.wait_for(5s), std::future_status::ready);
  const auto elapsed = clock_type::now() - t0;
  EXPECT_GE(elapsed, 550ms);
  EXPECT_LT(elapsed, 4s);
  EXPECT_NE(probe.fired.get(), std::this_thread::get_id());  // on a runtime thread
  EXPECT_TRUE(streaming.wait_closed(1s));                    // the connection is closed by then
  EXPECT_TRUE(s->closed());
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(probe.calls.load(), 1);
}

TEST(KitHttpServerStop, WithoutConnectionsOnStoppedFiresPromptly) {
  test_server srv([](std::shared_ptr<http_exchange> ex) { ex->respond({}); });
  stop_probe probe;
  const auto t0 = clock_type::now();
  srv.server->stop(10s, probe.callback());
  ASSERT_EQ(probe.fired.wait_for(2s), std::future_status::ready);
  EXPECT_LT(clock_type::now() - t0, 1s);
  EXPECT_NE(probe.fired.get(), std::this_thread::get_id());

  // Stopping already complete: a later callback runs at once, on a runtime thread, exactly once.
  stop_probe later;
  srv.server->stop(10s, later.callback());
  ASSERT_EQ(later.fired.wait_for(2s), std::future_status::ready);
  EXPECT_NE(later.fired.get(), std::this_thread::get_id());
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(probe.calls.load(), 1);
  EXPECT_EQ(later.calls.load(), 1);

  // A server that was never started completes at once too.
  http_server_options opt;
  opt.listen = "127.0.0.1:0";
  http_server never_started(srv.rt, opt, [](std::shared_ptr<http_exchange>) {});
  stop_probe idle;
  never_started.stop(10s, idle.callback());
  EXPECT_EQ(idle.fired.wait_for(2s), std::future_status::ready);
}

TEST(KitHttpServerStop, IdleKeepAliveConnectionsDoNotDelayOnStopped) {
  test_server srv([](std::shared_ptr<http_exchange> ex) { ex->respond({}); });
  raw_client idle(srv.port);
  ASSERT_TRUE(idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(idle.read_response().find("200"), std::string::npos);  // now idle, kept alive
  raw_client silent(srv.port);                                     // connected, sent nothing
  ASSERT_TRUE(kit_test::wait_until([&] { return silent.connected(); }));
  std::this_thread::sleep_for(50ms);  // let the server accept it
  stop_probe probe;
  const auto t0 = clock_type::now();
  srv.server->stop(10s, probe.callback());
  ASSERT_EQ(probe.fired.wait_for(3s), std::future_status::ready);
  EXPECT_LT(clock_type::now() - t0, 2s);
  EXPECT_TRUE(idle.wait_closed(1s));
  EXPECT_TRUE(silent.wait_closed(1s));
}

TEST(KitHttpServerStop, PendingAnswerIsDeliveredThenOnStoppedFires) {
  slot<http_exchange> exchanges;
  test_server srv([&](std::shared_ptr<http_exchange> ex) { exchanges.put(std::move(ex)); });
  raw_client c(srv.port);
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto ex = exchanges.get();
  ASSERT_TRUE(ex);

  std::atomic<bool> responded{false};
  std::atomic<bool> fired_before_response{false};
  stop_probe probe;
  auto inner = probe.callback();
  const auto t0 = clock_type::now();
  srv.server->stop(3s, [&, inner] {
    if (!responded.load()) fired_before_response = true;
    inner();
  });
  EXPECT_EQ(probe.fired.wait_for(150ms), std::future_status::timeout);  // the answer is pending

  http_response res;
  res.body = "finished in grace";
  responded = true;
  ex->respond(std::move(res));
  ASSERT_EQ(probe.fired.wait_for(3s), std::future_status::ready);
  EXPECT_LT(clock_type::now() - t0, 2s);  // well before the grace deadline
  EXPECT_FALSE(fired_before_response.load());
  // The answer was written in full before the connection closed.
  const auto got = c.read_response(2s);
  EXPECT_NE(got.find("finished in grace"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  EXPECT_TRUE(c.wait_closed(1s));
  EXPECT_EQ(probe.calls.load(), 1);
}

TEST(KitHttpServerStop, ALaterCallWaitsForTheFirstStop) {
  open_stream os;
  test_server srv(os.handler());
  raw_client streaming(srv.port);
  ASSERT_TRUE(streaming.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto s = os.streams.get();
  ASSERT_TRUE(s);

  const auto t0 = clock_type::now();
  srv.server->stop(500ms);
  stop_probe probe;
  srv.server->stop(0ms, probe.callback());  // only the first call's grace counts
  EXPECT_EQ(probe.fired.wait_for(250ms), std::future_status::timeout);
  ASSERT_EQ(probe.fired.wait_for(5s), std::future_status::ready);
  EXPECT_GE(clock_type::now() - t0, 450ms);
  EXPECT_TRUE(streaming.wait_closed(1s));
}

TEST(KitHttpServerStop, RuntimeStoppedFirstStillCallsOnStoppedOnce) {
  open_stream os;
  auto rt = std::make_unique<io_runtime>(2);
  http_server_options opt;
  opt.listen = "127.0.0.1:0";
  auto server = std::make_unique<http_server>(*rt, opt, os.handler());
  server->start();
  raw_client streaming(port_of(server->local_endpoint()));
  ASSERT_TRUE(streaming.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto s = os.streams.get();
  ASSERT_TRUE(s);

  stop_probe probe;
  server->stop(10s, probe.callback());
  EXPECT_EQ(probe.fired.wait_for(100ms), std::future_status::timeout);
  const auto t0 = clock_type::now();
  rt->stop();  // long before the grace deadline: on_stopped runs here, on this thread
  ASSERT_EQ(probe.fired.wait_for(0ms), std::future_status::ready);
  EXPECT_EQ(probe.fired.get(), std::this_thread::get_id());
  EXPECT_LT(clock_type::now() - t0, 2s);

  // Once the runtime is stopped, a new callback runs before stop() returns.
  std::atomic<int> late{0};
  server->stop(10s, [&] { ++late; });
  EXPECT_EQ(late.load(), 1);

  server.reset();
  rt.reset();
  EXPECT_EQ(probe.calls.load(), 1);
  EXPECT_EQ(late.load(), 1);
  s->write("ignored");  // harmless after everything is gone
  s->close();
}

}  // namespace
