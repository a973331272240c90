// Lifetimes: every on_close exactly once when a runtime stops with connections open (client and
// server side), closing before the handshake, dropped handles, handlers that hold their own
// handle, and no connection object left over after many connect/close cycles.
#include "ws_test_support.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using namespace ws_test;
using namespace patchbay::kit;
using kit_test::wait_until;

bool nothing_alive() {
  return wait_until([] { return ws_live_connections() == 0 && ws_live_sessions() == 0; }, 10000ms);
}

TEST(KitWsLifecycle, ClientRuntimeStopSettlesEveryConnectionOnce) {
  ws_server_env env;
  kit_test::silent_listener silent;
  std::vector<client> open;
  std::vector<client> opening;
  {
    io_runtime rt(2);
    for (int i = 0; i < 5; ++i) open.push_back(connect(rt, quick(env.ws_url())));
    for (int i = 0; i < 3; ++i)
      opening.push_back(connect(rt, quick("ws://127.0.0.1:" + std::to_string(silent.port()))));
    for (auto& c : open) ASSERT_TRUE(c.rec->wait_open());
    rt.stop();
    for (auto& c : open) {
      EXPECT_EQ(c.rec->close_count(), 1);
      EXPECT_EQ(c.rec->closed_info().cause, ws_close_cause::runtime_stopped);
      EXPECT_TRUE(c.rec->closed_info().opened);
    }
    for (auto& c : opening) {
      EXPECT_EQ(c.rec->close_count(), 1);
      EXPECT_EQ(c.rec->closed_info().cause, ws_close_cause::runtime_stopped);
      EXPECT_FALSE(c.rec->closed_info().opened);
      EXPECT_FALSE(c.conn->send_text("x"));
    }
    // After the stop, a new connection is settled at once, on this thread.
    auto late = connect(rt, quick(env.ws_url()));
    EXPECT_EQ(late.rec->close_count(), 1);
    EXPECT_EQ(late.rec->closed_info().cause, ws_close_cause::runtime_stopped);
  }
  // The server noticed each client going away.
  for (std::size_t i = 0; i < open.size(); ++i) ASSERT_TRUE(env.events(i)->wait_closed());
  for (auto& c : open) EXPECT_EQ(c.rec->close_count(), 1);
  open.clear();
  opening.clear();
  EXPECT_TRUE(nothing_alive());
}

TEST(KitWsLifecycle, ServerRuntimeStopSettlesEverySessionOnce) {
  io_runtime rt(1);
  std::vector<client> clients;
  std::vector<std::shared_ptr<recorder>> sessions;
  {
    ws_server_env env;
    for (int i = 0; i < 4; ++i) clients.push_back(connect(rt, quick(env.ws_url())));
    for (auto& c : clients) ASSERT_TRUE(c.rec->wait_open());
    for (int i = 0; i < 4; ++i) sessions.push_back(env.events(i));
    env.rt.stop();
    for (auto& s : sessions) {
      EXPECT_EQ(s->close_count(), 1);
      EXPECT_EQ(s->closed_info().cause, ws_close_cause::runtime_stopped);
    }
  }
  for (auto& c : clients) {
    ASSERT_TRUE(c.rec->wait_closed());
    EXPECT_NE(c.rec->closed_info().cause, ws_close_cause::runtime_stopped);
  }
  rt.stop();
  for (auto& s : sessions) EXPECT_EQ(s->close_count(), 1);
  clients.clear();
  EXPECT_TRUE(nothing_alive());
}

TEST(KitWsLifecycle, CloseAndAbortBeforeTheHandshake) {
  kit_test::silent_listener silent;
  io_runtime rt(1);
  const auto url = "ws://127.0.0.1:" + std::to_string(silent.port()) + "/ws";
  auto closing = connect(rt, quick(url));
  auto aborting = connect(rt, quick(url));
  closing.conn->close();
  aborting.conn->abort();
  ASSERT_TRUE(closing.rec->wait_closed());
  ASSERT_TRUE(aborting.rec->wait_closed());
  EXPECT_EQ(closing.rec->closed_info().cause, ws_close_cause::local_closed);
  EXPECT_EQ(closing.rec->closed_info().error, "closed before the handshake completed");
  EXPECT_EQ(aborting.rec->closed_info().cause, ws_close_cause::aborted);
  EXPECT_EQ(closing.rec->opens + aborting.rec->opens, 0);
}

TEST(KitWsLifecycle, DroppingTheClientHandleClosesTheConnection) {
  ws_server_env env;
  io_runtime rt(1);
  auto c = connect(rt, quick(env.ws_url()));
  ASSERT_TRUE(c.rec->wait_open());
  c.conn.reset();
  ASSERT_TRUE(c.rec->wait_closed());
  EXPECT_EQ(c.rec->closed_info().cause, ws_close_cause::local_closed);
  ASSERT_TRUE(env.events()->wait_closed());
  EXPECT_EQ(env.events()->closed_info().cause, ws_close_cause::peer_closed);
  EXPECT_EQ(env.events()->closed_info().code, 1000);
}

TEST(KitWsLifecycle, HandlersHoldingTheirHandleAreReleasedAtTheEnd) {
  ws_server_env env;
  io_runtime rt(1);
  auto rec = std::make_shared<recorder>();
  auto holder = std::make_shared<std::shared_ptr<ws_connection>>();
  auto handlers = record_into(rec);
  handlers.on_message = [rec, holder](ws_message_kind kind, std::string payload) {
    if (payload == "ping") (*holder)->send_text("pong");  // uses the handle it holds
    rec->got(kind, std::move(payload));
  };
  std::weak_ptr<ws_connection> weak;
  {
    auto conn = ws_connect(rt, quick(env.ws_url()), handlers);
    *holder = conn;
    weak = conn;
  }
  holder.reset();
  handlers = {};
  ASSERT_TRUE(rec->wait_open());
  ASSERT_FALSE(weak.expired());  // held by the on_message handler only
  weak.lock()->send_text("ping");
  ASSERT_TRUE(rec->wait_messages(2));  // "ping" echoed, then "pong" echoed
  env.session()->close();
  ASSERT_TRUE(rec->wait_closed());
  EXPECT_TRUE(wait_until([&] { return weak.expired(); }));
}

TEST(KitWsLifecycle, ConnectCloseCyclesLeaveNothingAlive) {
  ws_server_env env;
  io_runtime rt(1);
  constexpr int cycles = 200;
  int clean = 0;
  for (int i = 0; i < cycles; ++i) {
    auto c = connect(rt, quick(env.ws_url()));
    ASSERT_TRUE(c.rec->wait_open()) << "cycle " << i << ": " << c.rec->closed_info().error;
    if (i % 2 == 0) {
      c.conn->close();
    } else {
      env.session(static_cast<std::size_t>(i))->close();
    }
    ASSERT_TRUE(c.rec->wait_closed());
    clean += c.rec->closed_info().error.empty() ? 1 : 0;
    if (!c.rec->closed_info().error.empty())
      ADD_FAILURE() << "cycle " << i << ": " << c.rec->closed_info().error;
  }
  EXPECT_EQ(clean, cycles);
  env.drop_handles();
  EXPECT_TRUE(nothing_alive()) << ws_live_connections() << " client(s), " << ws_live_sessions()
                               << " session(s)";
  for (int i = 0; i < cycles; ++i)
    EXPECT_EQ(env.events(static_cast<std::size_t>(i))->close_count(), 1);
}

}  // namespace
