// The Feishu/Lark WebSocket supervisor (plugins/common/feishu_channel/ws_supervisor.hpp) driven
// for real against a small scripted platform on 127.0.0.1: a kit HTTPS server (certificates from
// make_test_certs) that answers endpoint discovery and upgrades /ws/v2 to wss, speaking pbbp2 with
// the feishu_family helpers. Timings are scaled down (backoff from 50-100 ms, PingInterval 1 s);
// assertions use lower bounds the supervisor controls (a timer never fires early) and generous
// upper bounds only. The end-to-end fake (tools/fakes) is tested elsewhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "feishu_lark/channel/ws_retry.hpp"
#include "patchbay/kit/ws_client.hpp"
#include "ws_scripted_platform.hpp"

namespace {

using namespace fsws_test;

ff::channel_config config_for(const fake_platform& f) {
  ff::channel_config c;
  c.platform = "Feishu";
  c.app_id = "cli_0123456789abcdef";
  c.app_secret = "s3cret";
  c.domain = f.base_url();
  c.ca_file = f.ca_file();
  c.reconnect = {50ms, 1.8, 1000ms, 0.0};
  c.stable_after = 2s;
  c.fatal_retry = 1500ms;
  c.liveness_margin = 300ms;
  c.fragment_timeout = 500ms;
  c.connect_timeout = 3s;
  c.handshake_timeout = 20s;
  c.api_timeout = 20s;
  return c;
}

void expect_idle(const ff::ws_counters& c) {
  EXPECT_EQ(c.live_connections, 0u);
  EXPECT_EQ(c.armed_timers, 0u);
  EXPECT_EQ(c.pending_fragments, 0u);
}

// ---- the reconnect policy alone, on a fake clock ----

TEST(FeishuWsRetry, GrowsUntilAConnectionProvedStable) {
  ff::ws_retry r({100ms, 2.0, 1000ms, 0.0}, 500ms, 5000ms);
  EXPECT_EQ(r.on_failure(false, 1000).delay, 100ms);  // never connected
  r.on_open(2000);
  auto d = r.on_failure(false, 2100);  // up 100 ms: not stable
  EXPECT_EQ(d.delay, 200ms);
  EXPECT_EQ(d.attempt, 2u);
  EXPECT_FALSE(d.was_stable);
  EXPECT_EQ(r.on_failure(false, 3000).delay, 400ms);
  EXPECT_EQ(r.on_failure(false, 4000).delay, 800ms);
  EXPECT_EQ(r.on_failure(false, 5000).delay, 1000ms);  // cap
  r.on_open(6000);
  d = r.on_failure(false, 6500);  // up 500 ms: stable
  EXPECT_TRUE(d.was_stable);
  EXPECT_EQ(d.delay, 100ms);
  EXPECT_EQ(d.attempt, 1u);
}

TEST(FeishuWsRetry, FatalWaitsTheSlowRetryAndNeverGivesUp) {
  ff::ws_retry r({100ms, 2.0, 1000ms, 0.0}, 500ms, 5000ms);
  for (int i = 1; i <= 50; ++i) {
    auto d = r.on_failure(true, i * 10'000);
    EXPECT_TRUE(d.fatal);
    EXPECT_EQ(d.delay, 5000ms);
    EXPECT_EQ(d.attempt, static_cast<uint32_t>(i));
  }
  // The exponential sequence was left alone by the fatal ones.
  EXPECT_EQ(r.on_failure(false, 600'000).delay, 100ms);
}

// ---- the supervisor against the scripted platform ----

TEST(FeishuWsSupervisor, OpensPingsAndAppliesPongConfig) {
  fake_platform f;
  // Discovery says 30 s; the pong says 1 s. Several pings within a few seconds prove the pong's
  // config was applied (ReconnectCount 1 in it must change nothing).
  f.pong_config =
      R"({"PingInterval":1,"ReconnectCount":1,"ReconnectInterval":5,"ReconnectNonce":0})";
  client c(config_for(f));
  c.sup->start();
  ASSERT_TRUE(wait_until([&] { return f.pings().size() >= 3; }, 8s)) << f.pings().size();
  EXPECT_TRUE(c.has_status(PB_STATE_STARTING));
  EXPECT_TRUE(c.has_status(PB_STATE_CONNECTED));
  EXPECT_EQ(f.connections().size(), 1u);
  EXPECT_GE(c.sup->counters().pongs, 2u);
  EXPECT_EQ(c.sup->counters().live_connections, 1u);
  ASSERT_TRUE(c.stop());
  expect_idle(c.sup->counters());
}

TEST(FeishuWsSupervisor, InvalidPongConfigIsNotApplied) {
  fake_platform f;
  f.client_config =
      R"({"PingInterval":1,"ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":0})";
  f.pong_config =
      R"({"PingInterval":0,"ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":0})";
  client c(config_for(f));
  c.sup->start();
  ASSERT_TRUE(wait_until([&] { return f.pings().size() >= 2; }, 8s));
  std::this_thread::sleep_for(500ms);
  // PingInterval 0 would be a ping storm; the discovered 1 s stays.
  EXPECT_LE(f.pings().size(), 4u);
  EXPECT_EQ(f.connections().size(), 1u);
  ASSERT_TRUE(c.stop());
}

TEST(FeishuWsSupervisor, VerifiesTheServerCertificate) {
  fake_platform f;
  auto cfg = config_for(f);
  cfg.ca_file.clear();  // the system store does not know the test CA
  client c(cfg);
  c.sup->start();
  ASSERT_TRUE(wait_until([&] { return c.has_status(PB_STATE_RECONNECTING, "tls"); }));
  EXPECT_TRUE(f.discoveries().empty());
  EXPECT_EQ(c.sup->counters().opened, 0u);
  ASSERT_TRUE(c.stop());
}

TEST(FeishuWsSupervisor, ReassemblesFragmentsAndAcksOnlyWhenTold) {
  fake_platform f;
  const std::string payload =
      R"({"schema":"2.0","header":{"event_id":"e1"},"event":{"x":"hello"}})";
  f.on_session = [&](const std::shared_ptr<kit::ws_session>& s, int) {
    pbbp2::frame card;
    card.service = service_id;
    card.method = pbbp2::method_data;
    pbbp2::add_header(card, "type", "card");
    pbbp2::add_header(card, "message_id", "card1");
    pbbp2::add_header(card, "sum", "1");
    pbbp2::add_header(card, "seq", "0");
    card.payload = "{}";
    s->send_binary(pbbp2::encode(card));
    s->send_text("ignored");
    auto parts = ff::split_event(payload, 3, "msg1", "trace1", service_id, 11, 22);
    for (int i : {2, 0, 1}) s->send_binary(pbbp2::encode(parts[i]));
    // Half of another event: never completes.
    auto half = ff::split_event(payload, 2, "msg2", "trace2", service_id, 12, 23);
    s->send_binary(pbbp2::encode(half[0]));
  };
  client c(config_for(f));
  c.sup->start();
  ASSERT_TRUE(wait_until([&] { return c.event_count() == 1; }));
  EXPECT_EQ(c.event(0).payload, payload);
  ASSERT_TRUE(wait_until([&] { return c.sup->counters().pending_fragments == 1; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(f.acks().empty()) << "acked before the channel said so";
  c.event(0).ack(ff::ack_ok, std::nullopt);
  c.event(0).ack(ff::ack_ok, std::nullopt);  // a second call is ignored
  ASSERT_TRUE(wait_until([&] { return f.acks().size() == 1; }));
  const auto ack = f.acks()[0];
  EXPECT_EQ(pbbp2::header_value(ack, "message_id"), "msg1");
  EXPECT_EQ(ack.seq_id, 11u);
  EXPECT_EQ(ack.log_id, 22u);
  const auto biz_rt = pbbp2::header_value(ack, "biz_rt");
  ASSERT_FALSE(biz_rt.empty());
  EXPECT_GE(std::stoll(std::string(biz_rt)), 250);
  ASSERT_TRUE(ack.payload);
  auto info = ff::parse_ack_payload(*ack.payload);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->code, 200);
  // The half event expires after fragment_timeout, undelivered and unacked; the card never acked.
  ASSERT_TRUE(wait_until([&] { return c.sup->counters().pending_fragments == 0; }, 5s));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(f.acks().size(), 1u);
  EXPECT_EQ(c.event_count(), 1u);
  EXPECT_EQ(c.sup->counters().acks_sent, 1u);
  EXPECT_EQ(f.connections().size(), 1u) << "the text frame or the card must not break anything";
  ASSERT_TRUE(c.stop());
  expect_idle(c.sup->counters());
}

TEST(FeishuWsSupervisor, BackoffGrowsAndResetsOnlyAfterStability) {
  fake_platform f;
  // Connections 1-4 and 6 are aborted right after their first ping; 5 lives past stable_after.
  f.on_ping = [&](kit::ws_session& s, int n) {
    if (n == 5 || n > 7) return;
    f.abort_session(s, n);
  };
  f.on_session = [&](const std::shared_ptr<kit::ws_session>& s, int n) {
    if (n == 5) f.after(1000ms, [&f, s] { f.abort_session(*s, 5); });
  };
  auto cfg = config_for(f);
  cfg.reconnect = {100ms, 2.0, 5000ms, 0.0};
  cfg.stable_after = 700ms;
  client c(cfg);
  c.sup->start();
  ASSERT_TRUE(wait_until([&] { return f.connections().size() >= 7; }, 20s));
  ASSERT_TRUE(c.stop());
  const auto conns = f.connections();
  const auto disc = f.discoveries();
  ASSERT_GE(disc.size(), 7u);
  // Delay before attempt k+1 (server clock: from the abort, which the client cannot notice
  // earlier, to the next discovery). Lower bounds hold whatever the machine's load: 100, 200,
  // 400, 800 ms (no reset: each connection opened but died before stable_after).
  const int64_t expect[] = {100, 200, 400, 800};
  for (int k = 0; k < 4; ++k) {
    const int64_t gap = disc[k + 1] - conns[k].abort_ms;
    EXPECT_GE(gap, expect[k] - 2) << "gap after connection " << k + 1;  // ms rounding
  }
  // Connection 5 was stable: the next delay is back at 100 ms, far below the 1600 ms it would be.
  EXPECT_LT(disc[5] - conns[4].abort_ms, 1200);
  // The attempt counter tells the same story without clocks: 1, 2, 3, 4, then 1 again.
  std::vector<uint32_t> attempts;
  for (auto& s : c.statuses())
    if (s.state == PB_STATE_RECONNECTING) attempts.push_back(s.attempt);
  ASSERT_GE(attempts.size(), 6u);
  EXPECT_EQ(std::vector<uint32_t>(attempts.begin(), attempts.begin() + 6),
            (std::vector<uint32_t>{1, 2, 3, 4, 1, 2}));
  for (auto& s : c.statuses())
    if (s.state == PB_STATE_RECONNECTING) {
      EXPECT_GT(s.next, 0);
    }
}

TEST(FeishuWsSupervisor, StalledConnectionIsDetectedByLiveness) {
  fake_platform f;
  f.client_config =
      R"({"PingInterval":1,"ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":0})";
  f.on_session = [&](const std::shared_ptr<kit::ws_session>& s, int n) {
    if (n == 1) s->stall(true);
  };
  f.answer_pings = false;  // with the stall: nothing ever comes back on connection 1
  client c(config_for(f));
  c.sup->start();
  ASSERT_TRUE(wait_until([&] { return f.connections().size() >= 2; }, 10s));
  EXPECT_TRUE(c.has_status(PB_STATE_RECONNECTING, "no frame for"));
  ASSERT_TRUE(c.stop());
  expect_idle(c.sup->counters());
}

TEST(FeishuWsSupervisor, FatalDiscoveryCodeFailsAndRetriesSlowly) {
  fake_platform f;
  f.discovery_code = ff::endpoint_code::auth_failed;
  client c(config_for(f));  // fatal_retry 1500 ms
  c.sup->start();
  ASSERT_TRUE(wait_until([&] { return c.has_status(PB_STATE_FAILED, "514"); }));
  ASSERT_TRUE(wait_until([&] { return f.discoveries().size() >= 2; }, 10s));
  const auto d = f.discoveries();
  EXPECT_GE(d[1] - d[0], 1500 - 15) << "retried before fatal_retry";
  EXPECT_EQ(f.upgrade_requests(), 0);
  for (auto& s : c.statuses())
    if (s.state == PB_STATE_FAILED) {
      EXPECT_GT(s.next, 0);
    }
  ASSERT_TRUE(c.stop());
  expect_idle(c.sup->counters());
}

TEST(FeishuWsSupervisor, HandshakeForbiddenFails) {
  fake_platform f;
  f.reject_upgrade = true;
  auto cfg = config_for(f);
  cfg.fatal_retry = 30s;
  client c(cfg);
  c.sup->start();
  ASSERT_TRUE(wait_until([&] { return c.has_status(PB_STATE_FAILED, "Handshake-Status 403"); }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(f.discoveries().size(), 1u) << "a fatal handshake must not be retried fast";
  ASSERT_TRUE(c.stop());
  expect_idle(c.sup->counters());
}

// Stop is honoured at every await: each phase below would last 10-20 s if stop waited for it.
enum class stop_phase { discovery, connecting, open, backoff };
class FeishuWsStop : public ::testing::TestWithParam<stop_phase> {};

TEST_P(FeishuWsStop, CompletesPromptlyAndLeavesNothing) {
  fake_platform f;
  auto cfg = config_for(f);
  std::function<bool()> reached;
  client* cp = nullptr;
  switch (GetParam()) {
    case stop_phase::discovery:
      f.hold_discovery = true;
      reached = [&] { return f.discoveries().size() == 1; };
      break;
    case stop_phase::connecting:
      f.hold_upgrade = true;
      reached = [&] { return f.upgrade_requests() == 1; };
      break;
    case stop_phase::open:
      reached = [&] { return cp->has_status(PB_STATE_CONNECTED); };
      break;
    case stop_phase::backoff:
      f.discovery_code = ff::endpoint_code::system_busy;  // retryable
      cfg.reconnect.initial = 10s;
      reached = [&] { return cp->has_status(PB_STATE_RECONNECTING); };
      break;
  }
  client c(cfg);
  cp = &c;
  c.sup->start();
  ASSERT_TRUE(wait_until(reached));
  ASSERT_TRUE(c.stop(5s)) << "stop did not complete promptly";
  expect_idle(c.sup->counters());
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(c.late_calls(), 0) << "a hook was called after done";
  if (GetParam() == stop_phase::open) {
    ASSERT_TRUE(wait_until([&] { return f.connections().at(0).close_ms > 0; }));
  }
}

INSTANTIATE_TEST_SUITE_P(Phases, FeishuWsStop,
                         ::testing::Values(stop_phase::discovery, stop_phase::connecting,
                                           stop_phase::open, stop_phase::backoff));

TEST(FeishuWsSupervisor, HundredCyclesLeakNothing) {
  const size_t baseline = kit::ws_live_connections();
  fake_platform f;
  f.on_ping = [](kit::ws_session& s, int) { s.abort(); };
  auto cfg = config_for(f);
  cfg.reconnect = {1ms, 1.0, 1ms, 0.0};
  cfg.stable_after = 60s;
  client c(cfg);
  c.sup->start();
  uint32_t max_live = 0, max_timers = 0, max_fragments = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        const auto k = c.sup->counters();
        max_live = std::max(max_live, k.live_connections);
        max_timers = std::max(max_timers, k.armed_timers);
        max_fragments = std::max(max_fragments, k.pending_fragments);
        return k.opened >= 100;
      },
      60s));
  ASSERT_TRUE(c.stop());
  const auto k = c.sup->counters();
  expect_idle(k);
  EXPECT_GE(k.opened, 100u);
  EXPECT_GE(f.connections().size(), 100u);
  // The last cycle's discovery may have been cancelled by stop before the server read it.
  EXPECT_GE(k.cycles, f.discoveries().size());
  EXPECT_LE(k.cycles, f.discoveries().size() + 1);
  EXPECT_LE(max_live, 1u);
  EXPECT_LE(max_timers, 4u);
  EXPECT_EQ(max_fragments, 0u);
  EXPECT_TRUE(wait_until([&] { return kit::ws_live_connections() <= baseline; }, 10s))
      << kit::ws_live_connections() << " client connection(s) alive, baseline " << baseline;
}

}  // namespace
