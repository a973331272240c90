// "Every inbound message gets an outcome" through the real weixin plugin in a real `patchbay run`
// against the fake iLink server: a message whose items hold nothing readable — an empty text item,
// a blank one, no items at all, an item of a kind the plugin cannot read — is answered by the host
// with the documented text, once, with the message's context token, and never reaches the agent
// (an `http` agent served by this test, which counts its turns).
#include <signal.h>

#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"
#include "http_agent_server.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;

const std::string unreadable = "I can't read this kind of message yet.";

std::vector<json::object> sent_to(const fake_ilink& fake, const std::string& user) {
  std::vector<json::object> out;
  for (const auto& s : fake.sent())
    if (str(s, "to") == user) out.push_back(s.as_object());
  return out;
}

TEST(WeixinUnreadable, MessagesWithNothingReadableGetTheHostsAnswer) {
  pbtest::http_agent_server agent;
  fake_ilink fake({"--hold-ms", "300"});
  ASSERT_FALSE(fake.accounts.empty());
  const auto& acct = fake.accounts[0];
  host_fixture h("  - id: wx\n    plugin: \"" PB_WEIXIN_PLUGIN
                 "\"\n    agent: probe\n" PB_OPEN_ACCESS "    config:\n      bot_token: \"" +
                     acct.bot_token + "\"\n      base_url: \"" + fake.base_url +
                     "\"\n      account_id: \"" + acct.account_id + "\"\n",
                 agent.yaml());
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }))
      << h.logs();

  const std::vector<std::pair<std::string, json::array>> kinds{
      {"empty text", {json::object{{"type", 1}, {"text_item", {{"text", ""}}}}}},
      {"blank text", {json::object{{"type", 1}, {"text_item", {{"text", "  \n\t "}}}}}},
      {"no items", json::array{}},
      {"unknown item kind", {json::object{{"type", 99}, {"mystery_item", {{"x", 1}}}}}},
  };
  int n = 0;
  for (const auto& [what, items] : kinds) {
    const std::string user = "user" + std::to_string(++n) + "@im.wechat";
    auto v = fake.call("POST", "/_fake/inject", {{"from", user}, {"item_list", items}});
    ASSERT_TRUE(v.is_object()) << what;
    const std::string token = str(v, "context_token");
    ASSERT_TRUE(fake_ilink::wait_for([&] { return !sent_to(fake, user).empty(); }))
        << what << h.logs();
    auto sent = sent_to(fake, user);
    EXPECT_EQ(str(sent[0], "text"), unreadable) << what;
    EXPECT_EQ(str(sent[0], "context_token"), token) << what;
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(sent_to(fake, user).size(), 1U) << what << ": exactly one answer";
  }
  EXPECT_EQ(agent.count(), 0U) << "none of them reached the agent";
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

}  // namespace
