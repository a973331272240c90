// "Every inbound message gets an outcome" through the real nyxid plugin in a real `patchbay run`
// against the fake NyxID: a signed callback with nothing readable — empty text, blank text, a
// media type without attachments, a content type the plugin does not read — is accepted (202) and
// answered by the host with the documented text, once, through /reply with the message's reply
// token, and never reaches the agent (an `http` agent served by this test, which counts its
// turns). A card_action (a button click, not a message) is answered 202 `ignored` and nothing is
// sent.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "fake_nyxid_process.hpp"
#include "host_fixture.hpp"
#include "http_agent_server.hpp"
#include "open_access.hpp"

namespace {
using namespace std::chrono_literals;
using pbfake::fake_process;
using pbfake::wait_for;
using pbnyx::fake_nyxid;
using pbtest::host_fixture;
namespace json = boost::json;

const std::string unreadable = "I can't read this kind of message yet.";

std::string str(const json::value& v, const char* k) { return fake_process::str(v, k); }
int64_t num(const json::value& v, const char* k) { return fake_process::num(v, k); }

// What the relay sent in reply to `message_id`.
std::vector<json::object> replies_to(const fake_nyxid& fake, const std::string& message_id) {
  std::vector<json::object> out;
  for (const auto& s : fake.sent())
    if (str(s, "inbound_message_id") == message_id) out.push_back(s.as_object());
  return out;
}

TEST(NyxidUnreadable, CallbacksWithNothingReadableGetTheHostsAnswer) {
  pbtest::http_agent_server agent;
  fake_nyxid fake;
  host_fixture h("  - id: nx\n    plugin: \"" PB_NYXID_PLUGIN
                 "\"\n    agent: probe\n" PB_OPEN_ACCESS "    config: " +
                     pbnyx::plugin_config(fake) + "\n",
                 agent.yaml());
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(wait_for([&] {
    return h.get("/v1/channels", pbtest::token).body.find("\"connected\"") != std::string::npos;
  })) << h.logs();
  const std::string hook = h.base + "/hooks/nx";

  const std::vector<std::pair<std::string, json::object>> kinds{
      {"empty text", {{"text", ""}}},
      {"blank text", {{"text", "  \n\t "}}},
      {"image without attachments", {{"content_type", "image"}, {"text", ""}}},
      {"unsupported content type", {{"content_type", "location"}, {"text", "somewhere"}}},
  };
  for (const auto& [what, fields] : kinds) {
    json::object f = fields;
    f["platform"] = "lark";
    f["chat_type"] = "dm";
    auto a = fake.inject(hook, f);
    EXPECT_EQ(num(a, "callback_status"), 202) << what << json::serialize(a);
    EXPECT_NE(str(a, "callback_body").find("accepted"), std::string::npos) << what;
    const std::string id = str(a, "message_id");
    ASSERT_TRUE(wait_for([&] { return !replies_to(fake, id).empty(); })) << what << h.logs();
    auto r = replies_to(fake, id);
    EXPECT_EQ(str(r[0], "text"), unreadable) << what;
    EXPECT_EQ(str(r[0], "credential"), "reply_token") << what;
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(replies_to(fake, id).size(), 1U) << what << ": exactly one answer";
  }

  // A button click is no message: ignored, nothing sent.
  auto c =
      fake.inject(hook, {{"platform", "lark"},
                         {"chat_type", "dm"},
                         {"card", json::object{{"tag", "button"}, {"value", json::object{}}}}});
  EXPECT_EQ(num(c, "callback_status"), 202);
  EXPECT_NE(str(c, "callback_body").find("ignored"), std::string::npos) << json::serialize(c);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(replies_to(fake, str(c, "message_id")).empty());
  EXPECT_EQ(agent.count(), 0U) << "none of them reached the agent";
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

}  // namespace
