// Backpressure before acknowledgement (host.admission) with the real NyxID plugin in a real
// `patchbay run` against the fake NyxID and a slow http agent served by the test: with room for
// one turn, a callback arriving while it runs is refused with 503 before the host stores it (the
// refusal counted); NyxID's next delivery of the same message (a new jti, the same message id) is
// taken once there is room, and each message is answered exactly once, never "busy".
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "fake_nyxid_process.hpp"
#include "held_agent.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"

namespace {

using pbfake::fake_process;
using pbfake::wait_for;
using pbnyx::fake_nyxid;
using pbtest::host_fixture;
namespace json = boost::json;

int64_t num(const json::value& v, const char* k) { return fake_process::num(v, k); }
std::string str(const json::value& v, const char* k) { return fake_process::str(v, k); }

TEST(NyxidAdmission, ACallbackOverTheLimitIs503AndTheNextDeliveryIsAnsweredOnce) {
  fake_nyxid fake;
  pbtest::held_agent agent(std::chrono::milliseconds(1500));
  host_fixture h("  - id: nx\n    plugin: \"" PB_NYXID_PLUGIN "\"\n    agent: held\n" PB_OPEN_ACCESS
                 "    config: " +
                     pbnyx::plugin_config(fake) + "\n",
                 agent.yaml(),
                 "  admission: { max_turns_in_flight: 1, max_pending_turns: 0, "
                 "retry_after_ms: 200 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(wait_for([&] {
    return h.get("/v1/channels", pbtest::token).body.find("\"connected\"") != std::string::npos;
  })) << h.logs();
  const std::string hook = h.base + "/hooks/nx";

  auto first = fake.inject(hook, {{"platform", "lark"}, {"chat_type", "dm"}, {"text", "first"}});
  EXPECT_EQ(num(first, "callback_status"), 202) << json::serialize(first);
  ASSERT_TRUE(wait_for([&] { return agent.asked().count("first") == 1; })) << h.logs();
  json::object second_fields{
      {"platform", "lark"}, {"chat_type", "dm"}, {"chat_id", "oc_second"}, {"text", "second"}};
  auto second = fake.inject(hook, second_fields);
  EXPECT_EQ(num(second, "callback_status"), 503) << json::serialize(second) << h.logs();
  const std::string scrape = h.get("/metrics").body;
  EXPECT_NE(scrape.find(R"(patchbay_inbound_refused_total{channel="nx",reason="overload"} 1)"),
            std::string::npos)
      << scrape;

  // NyxID delivers it again (same message id, new jti and reply token) until there is room.
  second_fields["message_id"] = str(second, "message_id");
  ASSERT_TRUE(wait_for(
      [&] {
        if (num(fake.inject(hook, second_fields), "callback_status") == 202) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        return false;
      },
      30))
      << h.logs();
  auto final_texts = [&] {
    std::multiset<std::string> out;
    for (const auto& s : fake.sent()) out.insert(str(s, "text"));
    return out;
  };
  ASSERT_TRUE(wait_for([&] {
    auto t = final_texts();
    return t.count("echo: first") == 1 && t.count("echo: second") == 1;
  })) << json::serialize(fake.sent())
      << h.logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(fake.sent().size(), 2u) << json::serialize(fake.sent());
  EXPECT_EQ(agent.asked().at("first"), 1);
  EXPECT_EQ(agent.asked().at("second"), 1);
  EXPECT_EQ(agent.max_held(), 1u);
}

}  // namespace
