// Honest health of the real NyxID plugin in a real `patchbay run` against the fake NyxID: the relay
// has no heartbeat, so the periodic signing-key refresh (key_refresh_ms, 500 ms here) is the sign
// of life, with a window of 2 x key_refresh_ms + keys_timeout_ms (2 s). A quiet channel stays
// `connected` past several windows; when NyxID stops answering the key fetches (the plugin keeps
// its cached keys and does not notice), the host shows `degraded` within one window; once NyxID
// answers again the channel is `connected` again.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fake_nyxid_process.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"

namespace {
using pbfake::wait_for;
using pbnyx::fake_nyxid;
using pbtest::host_fixture;
using std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace json = boost::json;

struct channel_view {
  std::string state, reason;
  int64_t last_liveness = 0, window = 0;
};

channel_view view_of(host_fixture& h) {
  auto r = h.get("/v1/channels", pbtest::token);
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  for (const auto& c : v.at("channels").as_array())
    if (pbfake::fake_process::str(c, "id") == "nx")
      return {pbfake::fake_process::str(c, "state"), pbfake::fake_process::str(c, "reason"),
              pbfake::fake_process::num(c, "last_liveness_unix_ms"),
              pbfake::fake_process::num(c, "liveness_window_ms")};
  return {};
}

std::string channel(const fake_nyxid& fake) {
  return "  - id: nx\n    plugin: \"" PB_NYXID_PLUGIN "\"\n    agent: echo\n" PB_OPEN_ACCESS
         "    config: " +
         pbnyx::plugin_config(fake, "key_refresh_ms: 500, keys_timeout_ms: 1000") + "\n";
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(NyxidHealth, KeyRefreshKeepsAQuietChannelConnectedAndItsAbsenceDegradesIt) {
  fake_nyxid fake;
  host_fixture h(channel(fake));
  ASSERT_TRUE(wait_for([&] { return view_of(h).window == 2000; })) << h.logs();
  const auto until = steady_clock::now() + 3 * 2000ms;
  int samples = 0;
  while (steady_clock::now() < until) {  // no callback, no reply: only the key refreshes
    auto v = view_of(h);
    ASSERT_EQ(v.state, "connected") << v.reason << "\n" << h.logs();
    ++samples;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(samples, 20);

  // NyxID stops serving its keys: the plugin still holds valid cached keys and stays
  // "connected" by its own account; the missing proofs tell the host.
  fake.fault(
      json::object{{"kind", "status"}, {"endpoint", "jwks"}, {"status", 503}, {"count", -1}});
  const int64_t armed = wall_ms();
  channel_view down;
  ASSERT_TRUE(wait_for(
      [&] {
        down = view_of(h);
        return down.state != "connected";
      },
      30))
      << h.logs();
  const int64_t seen = wall_ms();
  EXPECT_EQ(down.state, "degraded");
  EXPECT_NE(down.reason.find("no sign of life"), std::string::npos) << down.reason;
  EXPECT_LE(seen - down.last_liveness, 2000 + 1000);
  EXPECT_LE(seen - armed, 2000 + 1000 + 1000);  // a refresh in flight may still have worked

  fake.call("POST", "/_fake/reset");
  EXPECT_TRUE(wait_for([&] { return view_of(h).state == "connected"; }, 60)) << h.logs();
}

}  // namespace
