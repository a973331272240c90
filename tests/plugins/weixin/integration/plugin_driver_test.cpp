// The Weixin plugin .so driven directly through its C ABI by a minimal host (this file), against
// the fake iLink server: what the real host does not exercise yet (typing: getconfig ticket +
// sendtyping, cached per user), config refusals through the ABI (no token in the text), and
// several instances sharing the plugin's runtime through stop and destroy.
#include <set>

#include "fake_ilink_process.hpp"
#include "plugin_driver.hpp"

namespace {
using namespace wxtest;

// One weixin instance on the test host (tests/support/plugin_driver.hpp).
struct instance : pbdrv::instance {
  explicit instance(const std::string& config) : pbdrv::instance(PB_WEIXIN_PLUGIN, "wx", config) {}
};
using pbdrv::load_plugin;

std::string config_for(const fake_ilink& fake, const account& a, const std::string& extra = "") {
  return R"({"bot_token":")" + a.bot_token + R"(","base_url":")" + fake.base_url +
         R"(","account_id":")" + a.account_id + "\"" + extra + "}";
}

TEST(WeixinDriver, TypingFetchesATicketOnceAndSendsTyping) {
  ASSERT_NE(load_plugin(PB_WEIXIN_PLUGIN), nullptr);
  fake_ilink fake({"--hold-ms", "300"});
  instance in(config_for(fake, fake.accounts[0]));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  fake.inject("kim@im.wechat", "hi");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return in.host.inbound_count() == 1; }));
  auto first = in.typing("kim@im.wechat", "kim@im.wechat");
  EXPECT_EQ(first.code, PB_OK) << first.message << in.host.all_logs();
  auto second = in.typing("kim@im.wechat", "kim@im.wechat");
  EXPECT_EQ(second.code, PB_OK) << second.message;
  // One getconfig (the ticket is cached per user), two sendtyping, all accepted by the fake.
  auto configs = fake.requests_to("getconfig");
  auto typings = fake.requests_to("sendtyping");
  ASSERT_EQ(configs.size(), 1u);
  ASSERT_EQ(typings.size(), 2u);
  EXPECT_EQ(str(configs[0].at("body"), "ilink_user_id"), "kim@im.wechat");
  for (const auto& t : typings) {
    EXPECT_EQ(num(t, "errcode"), 0);
    EXPECT_EQ(num(t.at("body"), "status"), 1);
    EXPECT_FALSE(str(t.at("body"), "typing_ticket").empty());
  }
}

TEST(WeixinDriver, TypingCanBeSwitchedOff) {
  fake_ilink fake;
  instance in(config_for(fake, fake.accounts[0], R"(,"typing":false)"));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  EXPECT_EQ(in.typing("kim@im.wechat", "kim@im.wechat").code, PB_ERR_UNSUPPORTED);
  EXPECT_TRUE(fake.requests_to("getconfig").empty());
}

TEST(WeixinDriver, BadConfigIsRefusedWithoutEchoingTheToken) {
  ASSERT_NE(load_plugin(PB_WEIXIN_PLUGIN), nullptr);
  instance in(R"({"bot_token":"very-secret-token-123","base_url":"ftp://nowhere"})");
  EXPECT_EQ(in.create_rc, PB_ERR_INVALID_INPUT);
  EXPECT_NE(in.create_error.find("base_url"), std::string::npos) << in.create_error;
  EXPECT_EQ(in.create_error.find("very-secret-token-123"), std::string::npos);
}

TEST(WeixinDriver, ManyInstancesShareTheRuntimeAndStopCleanly) {
  fake_ilink fake({"--accounts", "20"});
  ASSERT_EQ(fake.accounts.size(), 20u);
  {
    std::vector<std::unique_ptr<instance>> all;
    for (const auto& a : fake.accounts) {
      all.push_back(std::make_unique<instance>(config_for(fake, a)));
      ASSERT_EQ(all.back()->create_rc, PB_OK);
    }
    ASSERT_TRUE(fake_ilink::wait_for([&] {
      std::set<std::string> polling;
      for (const auto& r : fake.requests_to("getupdates")) polling.insert(str(r, "account"));
      return polling.size() == 20;
    }));
  }  // stop + destroy all (each stop cancels its parked poll and sends notifyStop)
  EXPECT_EQ(fake.requests_to("notifystop").size(), 20u);
  // A new instance after the last one was destroyed gets a fresh runtime.
  instance again(config_for(fake, fake.accounts[0]));
  ASSERT_EQ(again.create_rc, PB_OK);
  fake.inject("lee@im.wechat", "again", fake.accounts[0].account_id);
  EXPECT_TRUE(fake_ilink::wait_for([&] { return again.host.inbound_count() == 1; }));
}

}  // namespace
