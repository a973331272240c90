// The WebSocket client against the kit server on loopback: ws and wss, both message kinds, large
// messages and the size limit, every way a connection ends (each reported exactly once), and the
// deadlines of the opening phase.
#include "ws_test_support.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace ws_test;
using namespace patchbay::kit;

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return s;
}

void echo_round_trip(ws_server_env& env, io_runtime& rt, ws_client_options opt) {
  auto c = connect(rt, std::move(opt));
  ASSERT_TRUE(c.rec->wait_open()) << c.rec->closed_info().error;
  EXPECT_EQ(c.rec->open_info.status, 101u);
  EXPECT_EQ(env.session()->request().query, "room=7&fpid=1");
  const std::string bin("\x00\x01\xfe\xff binary", 11);
  ASSERT_TRUE(c.conn->send_binary(bin));
  ASSERT_TRUE(c.conn->send_text("héllo text"));
  ASSERT_TRUE(c.rec->wait_messages(2));
  const auto got = c.rec->received();
  EXPECT_EQ(got[0], (message{ws_message_kind::binary, bin}));
  EXPECT_EQ(got[1], (message{ws_message_kind::text, "héllo text"}));

  c.conn->close(1000, "bye");
  ASSERT_TRUE(c.rec->wait_closed());
  const auto info = c.rec->closed_info();
  EXPECT_EQ(info.cause, ws_close_cause::local_closed)
      << ws_close_cause_name(info.cause) << " " << info.error;
  EXPECT_EQ(info.error, "");
  EXPECT_EQ(info.code, 1000);  // the server's answer to our close frame
  EXPECT_TRUE(info.opened);

  auto server_side = env.events();
  ASSERT_TRUE(server_side->wait_closed());
  const auto sinfo = server_side->closed_info();
  EXPECT_EQ(sinfo.cause, ws_close_cause::peer_closed) << sinfo.error;
  EXPECT_EQ(sinfo.code, 1000);
  EXPECT_EQ(sinfo.reason, "bye");
  EXPECT_EQ(server_side->received().size(), 2u);
}

TEST(KitWsClient, PlainEchoAndCleanClose) {
  ws_server_env env;
  io_runtime rt(1);
  echo_round_trip(env, rt, quick(env.ws_url("/ws?room=7&fpid=1")));
  rt.stop();
  EXPECT_EQ(env.events()->close_count(), 1);
}

TEST(KitWsClient, TlsEchoWithGeneratedCaAndHttpsOnTheSamePort) {
  ws_server_env::config cfg;
  cfg.tls = true;
  ws_server_env env(cfg);
  io_runtime rt(1);
  auto opt = quick(env.ws_url("/ws?room=7&fpid=1"));
  opt.ca_file = env.ca_file();
  echo_round_trip(env, rt, opt);

  http_client_request req;
  req.url = env.http_url("/plain");
  req.ca_file = env.ca_file();
  auto r = kit_test::fetch(rt, req);
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.response.status, 200u);
  EXPECT_EQ(r.response.body, "plain");
}

TEST(KitWsClient, TlsByHostNameChecksTheNameAndSendsSni) {
  ws_server_env::config cfg;
  cfg.tls = true;
  ws_server_env env(cfg);
  io_runtime rt(1);
  const auto port = std::to_string(kit_test::port_of(env.server->local_endpoint()));
  auto opt = quick("wss://localhost:" + port + "/ws");  // the certificate names DNS:localhost
  opt.ca_file = env.ca_file();
  auto c = connect(rt, opt);
  ASSERT_TRUE(c.rec->wait_open()) << c.rec->closed_info().error;
  c.conn->close();
  ASSERT_TRUE(c.rec->wait_closed());
  EXPECT_EQ(c.rec->closed_info().error, "");
}

TEST(KitWsClient, WrongCaIsAVerifyFailure) {
  ws_server_env::config cfg;
  cfg.tls = true;
  ws_server_env env(cfg);
  temp_dir other;
  const auto other_ca = make_test_certs(other.path).ca_file;
  io_runtime rt(1);
  auto opt = quick(env.ws_url());
  opt.ca_file = other_ca;
  auto c = connect(rt, opt);
  ASSERT_TRUE(c.rec->wait_closed());
  const auto info = c.rec->closed_info();
  EXPECT_EQ(info.cause, ws_close_cause::failed);
  EXPECT_FALSE(info.opened);
  EXPECT_EQ(info.error.rfind("tls: ", 0), 0u) << info.error;
  EXPECT_NE(info.error.find("certificate"), std::string::npos) << info.error;
  EXPECT_EQ(env.accepted(), 0u);
  rt.stop();
  EXPECT_EQ(c.rec->close_count(), 1);
}

TEST(KitWsClient, PlainClientAgainstTlsServerFailsTheHandshake) {
  ws_server_env::config cfg;
  cfg.tls = true;
  ws_server_env env(cfg);
  io_runtime rt(1);
  auto opt = quick(env.ws_url());
  opt.url.replace(0, 3, "ws");  // wss:// -> ws://
  auto c = connect(rt, opt);
  ASSERT_TRUE(c.rec->wait_closed());
  EXPECT_EQ(c.rec->closed_info().cause, ws_close_cause::failed);
  EXPECT_FALSE(c.rec->closed_info().opened);
}

TEST(KitWsClient, LargeMessagesBothWays) {
  ws_server_env env;
  io_runtime rt(1);
  auto c = connect(rt, quick(env.ws_url()));
  ASSERT_TRUE(c.rec->wait_open());
  const std::string big = pattern(3 << 20);
  ASSERT_TRUE(c.conn->send_binary(big));
  ASSERT_TRUE(c.rec->wait_messages(1, 20000ms));
  EXPECT_TRUE(c.rec->received()[0].second == big);
  EXPECT_TRUE(env.events()->received()[0].second == big);
}

TEST(KitWsClient, MessageOverTheLimitClosesWith1009) {
  ws_server_env env;
  io_runtime rt(1);
  auto opt = quick(env.ws_url());
  opt.max_message_bytes = 1024;
  auto c = connect(rt, opt);
  ASSERT_TRUE(c.rec->wait_open());
  ASSERT_TRUE(c.conn->send_text(std::string(1000, 'a')));  // echoed: fits
  ASSERT_TRUE(c.rec->wait_messages(1));
  ASSERT_TRUE(c.conn->send_binary(pattern(4096)));  // echoed: too big for the client
  ASSERT_TRUE(c.rec->wait_closed());
  const auto info = c.rec->closed_info();
  EXPECT_EQ(info.cause, ws_close_cause::failed);
  EXPECT_EQ(info.error, "message too big");
  EXPECT_EQ(info.code, 1009);
  EXPECT_EQ(c.rec->received().size(), 1u);
  ASSERT_TRUE(env.events()->wait_closed());
  EXPECT_EQ(env.events()->closed_info().code, 1009)
      << env.events()->closed_info().error;  // our close frame
  EXPECT_FALSE(c.conn->send_text("after the end"));
}

TEST(KitWsClient, ServerCloseIsReportedOnce) {
  ws_server_env env;
  io_runtime rt(1);
  auto c = connect(rt, quick(env.ws_url()));
  ASSERT_TRUE(c.rec->wait_open());
  env.session()->close(4001, "go away");
  ASSERT_TRUE(c.rec->wait_closed());
  const auto info = c.rec->closed_info();
  EXPECT_EQ(info.cause, ws_close_cause::peer_closed);
  EXPECT_EQ(info.code, 4001);
  EXPECT_EQ(info.reason, "go away");
  EXPECT_EQ(info.error, "");
  ASSERT_TRUE(env.events()->wait_closed());
  EXPECT_EQ(env.events()->closed_info().cause, ws_close_cause::local_closed);
  rt.stop();
  EXPECT_EQ(c.rec->close_count(), 1);
}

TEST(KitWsClient, ServerAbortIsReportedOnce) {
  ws_server_env env;
  io_runtime rt(1);
  auto c = connect(rt, quick(env.ws_url()));
  ASSERT_TRUE(c.rec->wait_open());
  env.session()->abort();
  ASSERT_TRUE(c.rec->wait_closed());
  const auto info = c.rec->closed_info();
  EXPECT_EQ(info.cause, ws_close_cause::failed);
  EXPECT_EQ(info.code, 0);
  EXPECT_TRUE(info.error == "connection closed by peer without a close frame" ||
              info.error == "connection reset by peer")
      << info.error;
  ASSERT_TRUE(env.events()->wait_closed());
  EXPECT_EQ(env.events()->closed_info().cause, ws_close_cause::aborted);
  rt.stop();
  EXPECT_EQ(c.rec->close_count(), 1);
}

TEST(KitWsClient, RefusedHandshakeReportsStatusAndHeaders) {
  ws_server_env::config cfg;
  cfg.intercept = [](const std::shared_ptr<http_exchange>& ex) {
    http_response r;
    r.status = 403;
    r.headers = {{"Handshake-Status", "403"},
                 {"Handshake-Msg", "forbidden"},
                 {"Handshake-Autherrcode", "1000040350"}};
    r.body = "{\"code\":403}";
    ex->respond(std::move(r));
    return true;
  };
  ws_server_env env(cfg);
  io_runtime rt(1);
  auto c = connect(rt, quick(env.ws_url("/ws?ticket=t")));
  ASSERT_TRUE(c.rec->wait_closed());
  const auto info = c.rec->closed_info();
  EXPECT_EQ(info.cause, ws_close_cause::handshake_rejected);
  EXPECT_EQ(info.http_status, 403u);
  EXPECT_EQ(info.error, "handshake rejected: HTTP 403");
  EXPECT_EQ(find_header(info.response_headers, "handshake-autherrcode"), "1000040350");
  EXPECT_EQ(find_header(info.response_headers, "Handshake-Msg"), "forbidden");
  EXPECT_EQ(info.response_body, "{\"code\":403}");
  EXPECT_FALSE(info.opened);
}

TEST(KitWsClient, ConnectTimeoutWhenSynsAreDropped) {
  kit_test::silent_listener full(0);  // backlog 0: one queued connection fills it
  kit_test::raw_client filler(full.port());
  ASSERT_TRUE(filler.connected());
  io_runtime rt(1);
  auto opt = quick("ws://127.0.0.1:" + std::to_string(full.port()) + "/ws");
  opt.connect_timeout = 200ms;
  auto c = connect(rt, opt);
  ASSERT_TRUE(c.rec->wait_closed(10000ms));
  EXPECT_EQ(c.rec->closed_info().error, "connect timeout");
  EXPECT_EQ(c.rec->closed_info().cause, ws_close_cause::failed);
}

TEST(KitWsClient, HandshakeTimeoutAgainstASilentServer) {
  kit_test::silent_listener silent;  // the kernel accepts; nobody ever answers
  io_runtime rt(1);
  auto opt = quick("ws://127.0.0.1:" + std::to_string(silent.port()) + "/ws");
  opt.handshake_timeout = 200ms;
  auto c = connect(rt, opt);
  ASSERT_TRUE(c.rec->wait_closed(10000ms));
  EXPECT_EQ(c.rec->closed_info().error, "handshake timeout");
}

TEST(KitWsClient, ConnectionRefusedAndBadUrl) {
  io_runtime rt(1);
  auto refused =
      connect(rt, quick("ws://127.0.0.1:" + std::to_string(kit_test::unused_port()) + "/"));
  auto bad = connect(rt, quick("http://127.0.0.1:1/"));
  ASSERT_TRUE(refused.rec->wait_closed());
  ASSERT_TRUE(bad.rec->wait_closed());
  EXPECT_EQ(refused.rec->closed_info().error, "connection refused");
  EXPECT_EQ(bad.rec->closed_info().error, "bad url: unsupported scheme 'http'");
  EXPECT_FALSE(bad.conn->send_text("x"));
  rt.stop();
  EXPECT_EQ(refused.rec->close_count(), 1);
  EXPECT_EQ(bad.rec->close_count(), 1);
}

TEST(KitWsClient, SendQueueIsBounded) {
  kit_test::silent_listener silent;  // never opens: everything stays queued
  io_runtime rt(1);
  auto opt = quick("ws://127.0.0.1:" + std::to_string(silent.port()) + "/ws");
  opt.max_queued_bytes = 1000;
  auto c = connect(rt, opt);
  EXPECT_TRUE(c.conn->send_binary(std::string(600, 'a')));
  EXPECT_FALSE(c.conn->send_binary(std::string(600, 'b')));
  EXPECT_TRUE(c.conn->send_text(std::string(400, 'c')));
  EXPECT_FALSE(c.conn->send_text("d"));
  c.conn->abort();
  ASSERT_TRUE(c.rec->wait_closed());
  EXPECT_EQ(c.rec->closed_info().cause, ws_close_cause::aborted);
  EXPECT_FALSE(c.conn->send_text("e"));
}

TEST(KitWsClient, IdleTimeoutWithPingsKeepsALivePeerAndDropsAStalledOne) {
  ws_server_env::config cfg;
  cfg.on_open = [](ws_session& s) {
    if (s.request().query == "stall") s.stall(true);
  };
  ws_server_env env(cfg);
  io_runtime rt(1);
  auto live_opt = quick(env.ws_url("/ws?live"));
  live_opt.idle_timeout = 300ms;
  live_opt.keep_alive_pings = true;
  auto stalled_opt = live_opt;
  stalled_opt.url = env.ws_url("/ws?stall");
  auto live = connect(rt, live_opt);
  auto stalled = connect(rt, stalled_opt);
  ASSERT_TRUE(stalled.rec->wait_closed(10000ms));
  EXPECT_EQ(stalled.rec->closed_info().error, "idle timeout");
  EXPECT_EQ(stalled.rec->closed_info().cause, ws_close_cause::failed);
  // The live one answered several rounds of pings meanwhile (at least one idle period passed).
  EXPECT_EQ(live.rec->close_count(), 0);
  ASSERT_TRUE(live.conn->send_text("still here"));
  ASSERT_TRUE(live.rec->wait_messages(1));
}

}  // namespace
