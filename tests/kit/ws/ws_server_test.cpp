// WebSocket sessions on the kit HTTP server: upgrade routing, stall, abort, the server's own
// limits, closing by dropping the handle, and http_server::stop with open sessions.
#include "ws_test_support.hpp"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <thread>

namespace {

using namespace ws_test;
using namespace patchbay::kit;

TEST(KitWsServer, PlainGetOnTheWsRouteIsRefused) {
  ws_server_env env;
  io_runtime rt(1);
  http_client_request req;
  req.url = env.http_url("/ws");
  auto r = kit_test::fetch(rt, req);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 400u);
  EXPECT_EQ(env.accepted(), 1u);
  EXPECT_EQ(env.session(0, 100ms), nullptr);
  // The other routes still answer as plain HTTP.
  req.url = env.http_url("/other");
  r = kit_test::fetch(rt, req);
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_TRUE(is_websocket_upgrade(http_request{"GET",
                                                "/",
                                                "/",
                                                "",
                                                {{"Connection", "keep-alive, Upgrade"},
                                                 {"Upgrade", "WebSocket"},
                                                 {"Sec-WebSocket-Key", "k"},
                                                 {"Sec-WebSocket-Version", "13"}}}));
}

TEST(KitWsServer, TlsMisconfigurationFailsStartNamingTheFile) {
  temp_dir dir;
  const auto certs = make_test_certs(dir.path);
  io_runtime rt(1);
  http_server_options opt;
  opt.listen = "127.0.0.1:0";
  opt.tls_cert_file = dir.path + "/missing.pem";
  opt.tls_key_file = certs.key_file;
  http_server missing(rt, opt, [](std::shared_ptr<http_exchange>) {});
  try {
    missing.start();
    ADD_FAILURE() << "start() accepted a missing certificate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.pem"), std::string::npos) << e.what();
  }
  opt.tls_cert_file = certs.cert_file;
  opt.tls_key_file.clear();
  http_server half(rt, opt, [](std::shared_ptr<http_exchange>) {});
  EXPECT_THROW(half.start(), std::runtime_error);
}

TEST(KitWsServer, ClientCloseWhileTheServerStallsTimesOutThenTearsDown) {
  ws_server_env::config cfg;
  cfg.on_open = [](ws_session& s) { s.stall(true); };
  ws_server_env env(cfg);
  io_runtime rt(1);
  auto opt = quick(env.ws_url());
  opt.close_timeout = 300ms;
  auto c = connect(rt, opt);
  ASSERT_TRUE(c.rec->wait_open());
  const auto t0 = std::chrono::steady_clock::now();
  c.conn->close(1000, "bye");
  ASSERT_TRUE(c.rec->wait_closed(10000ms));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  const auto info = c.rec->closed_info();
  EXPECT_EQ(info.cause, ws_close_cause::local_closed);
  EXPECT_EQ(info.error, "close timeout");
  EXPECT_GE(elapsed, 250ms);
  // Torn down: the stalled server, resumed, finds the connection gone.
  env.session()->stall(false);
  ASSERT_TRUE(env.events()->wait_closed());
  EXPECT_EQ(env.events()->close_count(), 1);
}

TEST(KitWsServer, StalledSessionReadsNothingUntilResumed) {
  ws_server_env::config cfg;
  cfg.on_open = [](ws_session& s) { s.stall(true); };
  ws_server_env env(cfg);
  io_runtime rt(1);
  auto c = connect(rt, quick(env.ws_url()));
  ASSERT_TRUE(c.rec->wait_open());
  ASSERT_TRUE(c.conn->send_text("one"));
  ASSERT_TRUE(c.conn->send_text("two"));
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(env.events()->received().empty());
  env.session()->stall(false);
  ASSERT_TRUE(env.events()->wait_messages(2));
  ASSERT_TRUE(c.rec->wait_messages(2));  // echoed once resumed
  EXPECT_EQ(c.rec->received()[1].second, "two");
}

TEST(KitWsServer, ServerLimitOnIncomingMessages) {
  ws_server_env::config cfg;
  cfg.ws.max_message_bytes = 100;
  ws_server_env env(cfg);
  io_runtime rt(1);
  auto c = connect(rt, quick(env.ws_url()));
  ASSERT_TRUE(c.rec->wait_open());
  ASSERT_TRUE(c.conn->send_binary(std::string(200, 'x')));
  ASSERT_TRUE(c.rec->wait_closed());
  EXPECT_EQ(c.rec->closed_info().cause, ws_close_cause::peer_closed) << c.rec->closed_info().error;
  EXPECT_EQ(c.rec->closed_info().code, 1009);
  ASSERT_TRUE(env.events()->wait_closed());
  EXPECT_EQ(env.events()->closed_info().error, "message too big");
}

TEST(KitWsServer, ClientAbortReachesTheSessionOnce) {
  ws_server_env env;
  io_runtime rt(1);
  auto c = connect(rt, quick(env.ws_url()));
  ASSERT_TRUE(c.rec->wait_open());
  c.conn->abort();
  ASSERT_TRUE(c.rec->wait_closed());
  EXPECT_EQ(c.rec->closed_info().cause, ws_close_cause::aborted);
  auto server_side = env.events();
  ASSERT_TRUE(server_side->wait_closed());
  EXPECT_EQ(server_side->closed_info().cause, ws_close_cause::failed);
  EXPECT_FALSE(server_side->closed_info().error.empty());
  EXPECT_FALSE(env.session()->send_text("after the end"));
  rt.stop();
  EXPECT_EQ(server_side->close_count(), 1);
}

TEST(KitWsServer, DroppingTheLastHandleClosesTheSession) {
  ws_server_env env;
  io_runtime rt(1);
  auto c = connect(rt, quick(env.ws_url()));
  ASSERT_TRUE(c.rec->wait_open());
  ASSERT_NE(env.session(), nullptr);
  env.drop_handles();
  ASSERT_TRUE(c.rec->wait_closed());
  EXPECT_EQ(c.rec->closed_info().cause, ws_close_cause::peer_closed) << c.rec->closed_info().error;
  EXPECT_EQ(c.rec->closed_info().code, 1000);
}

TEST(KitWsServer, HttpServerStopClosesSessionsWith1001AndWaitsForThem) {
  ws_server_env env;
  io_runtime rt(1);
  auto a = connect(rt, quick(env.ws_url()));
  auto b = connect(rt, quick(env.ws_url()));
  ASSERT_TRUE(a.rec->wait_open());
  ASSERT_TRUE(b.rec->wait_open());
  std::promise<void> stopped;
  env.server->stop(2000ms, [&] { stopped.set_value(); });
  ASSERT_EQ(stopped.get_future().wait_for(10s), std::future_status::ready);
  for (auto* c : {&a, &b}) {
    ASSERT_TRUE(c->rec->wait_closed());
    EXPECT_EQ(c->rec->closed_info().cause, ws_close_cause::peer_closed)
        << c->rec->closed_info().error;
    EXPECT_EQ(c->rec->closed_info().code, 1001);
  }
  EXPECT_EQ(env.events(0)->close_count(), 1);
  EXPECT_EQ(env.events(1)->close_count(), 1);
}

TEST(KitWsServer, HttpServerStopTearsDownAPeerThatDoesNotAnswerTheClose) {
  ws_server_env env;
  // A deaf peer: a raw socket that completes the upgrade, then never answers anything.
  kit_test::raw_client deaf(kit_test::port_of(env.server->local_endpoint()));
  ASSERT_TRUE(deaf.connected());
  ASSERT_TRUE(deaf.send(
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"));
  const auto answer = deaf.read_until("\r\n\r\n");
  ASSERT_EQ(answer.rfind("HTTP/1.1 101", 0), 0u) << answer;
  EXPECT_NE(answer.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << answer;
  // Compression is offered (as node's ws library does) but not accepted.
  EXPECT_EQ(answer.find("permessage-deflate"), std::string::npos) << answer;
  ASSERT_TRUE(env.events()->wait_open());

  // The session's close_timeout is 5 s; the grace (200 ms) is shorter and wins.
  std::promise<void> stopped;
  env.server->stop(200ms, [&] { stopped.set_value(); });
  ASSERT_EQ(stopped.get_future().wait_for(10s), std::future_status::ready);
  ASSERT_TRUE(env.events()->wait_closed());
  EXPECT_EQ(env.events()->closed_info().cause, ws_close_cause::local_closed);
  EXPECT_EQ(env.events()->closed_info().error, "close timeout");
  EXPECT_NE(deaf.read_until("server shutting down").find("server shutting down"),
            std::string::npos);
}

}  // namespace
