// The real Weixin plugin .so in a real `patchbay run`, against the fake iLink server, with the
// echo agent: message in → reply out with the right context token; the cursor survives a host
// restart; a duplicate delivery is answered once; stop cancels the long poll at once.
#include <openssl/evp.h>
#include <signal.h>

#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;

// host_fixture::launch() reads the port from err.log: remove the old process's log first so it
// cannot read the previous port before the new process truncates the file.
void relaunch(host_fixture& h) {
  fs::remove(h.dir / "err.log");
  h.launch();
}

std::string unbase64(const std::string& in) {
  std::string out(in.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!out.empty() && out.back() == '\0') out.pop_back();  // base64 padding
  return out;
}

std::vector<json::value> sent_to(const fake_ilink& fake, const std::string& user) {
  std::vector<json::value> out;
  for (const auto& s : fake.sent())
    if (str(s, "to") == user) out.push_back(s);
  return out;
}

TEST(WeixinE2E, MessageIsEchoedWithItsContextToken) {
  fake_ilink fake;
  ASSERT_FALSE(fake.accounts.empty());
  host_fixture h(channel_yaml(fake, fake.accounts[0]));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  // The plugin announces itself and starts polling.
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }))
      << h.logs();
  EXPECT_FALSE(fake.requests_to("notifystart").empty());

  auto in = fake.inject("alice@im.wechat", "hello weixin 你好");
  const std::string token = str(in, "context_token");
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !sent_to(fake, "alice@im.wechat").empty(); }))
      << h.logs() << fake.logs();
  auto sent = sent_to(fake, "alice@im.wechat");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(str(sent[0], "text"), "hello weixin 你好");
  EXPECT_EQ(str(sent[0], "context_token"), token);
  EXPECT_EQ(str(sent[0], "client_id").rfind("patchbay-weixin:", 0), 0u);
  // Every getupdates carried base_info; the fake validated headers (it answers -14 otherwise).
  for (const auto& r : fake.requests_to("getupdates")) {
    ASSERT_TRUE(r.at("body").is_object());
    EXPECT_TRUE(r.at("body").as_object().contains("base_info"));
    const auto& hd = r.at("headers");
    EXPECT_EQ(str(hd, "iLink-App-Id"), "bot");
    EXPECT_EQ(str(hd, "AuthorizationType"), "ilink_bot_token");
    EXPECT_EQ(str(hd, "Authorization"), "Bearer ***");  // as the fake records it
    EXPECT_EQ(str(hd, "Content-Type"), "application/json");
    const std::string uin = unbase64(str(hd, "X-WECHAT-UIN"));
    EXPECT_FALSE(uin.empty());
    EXPECT_EQ(uin.find_first_not_of("0123456789"), std::string::npos) << uin;
    EXPECT_EQ(num(r, "errcode"), 0);
  }
  // The channel reports connected.
  EXPECT_NE(h.get("/v1/channels", pbtest::token).body.find("\"connected\""), std::string::npos);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(WeixinE2E, CursorSurvivesAHostRestart) {
  fake_ilink fake({"--hold-ms", "300"});  // idle polls come back quickly: several go by below
  host_fixture h(channel_yaml(fake, fake.accounts[0]));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  fake.inject("bob@im.wechat", "first");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return sent_to(fake, "bob@im.wechat").size() == 1; }))
      << h.logs();
  // The batch is acknowledged (a poll carrying the new cursor) before the host goes down.
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    auto polls = fake.requests_to("getupdates");
    return !polls.empty() && !str(polls.back().at("body"), "get_updates_buf").empty();
  }));
  h.proc->signal(SIGTERM);
  ASSERT_EQ(h.proc->wait(20s), 0) << h.logs();
  const size_t polls_before = fake.requests_to("getupdates").size();
  const std::string acked =
      str(fake.requests_to("getupdates").back().at("body"), "get_updates_buf");

  fake.inject("bob@im.wechat", "second");  // while the host is down
  relaunch(h);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return sent_to(fake, "bob@im.wechat").size() >= 2; }))
      << h.logs();
  // The first poll after the restart resumed from the saved cursor.
  auto polls = fake.requests_to("getupdates");
  ASSERT_GT(polls.size(), polls_before);
  EXPECT_EQ(str(polls[polls_before].at("body"), "get_updates_buf"), acked);
  // Let a few more polls go by: "first" is never answered again, "second" exactly once.
  ASSERT_TRUE(fake_ilink::wait_for(
      [&] { return fake.requests_to("getupdates").size() >= polls_before + 4; }));
  auto sent = sent_to(fake, "bob@im.wechat");
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(str(sent[0], "text"), "first");
  EXPECT_EQ(str(sent[1], "text"), "second");
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(WeixinE2E, DuplicateDeliveryIsAnsweredOnce) {
  fake_ilink fake({"--hold-ms", "300"});
  host_fixture h(channel_yaml(fake, fake.accounts[0]));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }));
  fake.fault({{"kind", "duplicate_delivery"}});
  auto in = fake.inject("carol@im.wechat", "only once");
  const std::string id = std::to_string(num(in, "message_id"));
  // The second delivery reaches the plugin and is recognised.
  std::string log = h.wait_for_log("duplicate delivery of message");
  EXPECT_NE(log.find("duplicate delivery of message"), std::string::npos) << log;
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !sent_to(fake, "carol@im.wechat").empty(); }));
  const size_t polls = fake.requests_to("getupdates").size();
  ASSERT_TRUE(
      fake_ilink::wait_for([&] { return fake.requests_to("getupdates").size() >= polls + 3; }));
  EXPECT_EQ(sent_to(fake, "carol@im.wechat").size(), 1u) << h.logs();
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

// The same message pushed again under a new message id and context token (same sender, text and
// create time) is answered once; the same words with a new create time are a new message.
TEST(WeixinE2E, RepushUnderANewMessageIdIsAnsweredOnce) {
  fake_ilink fake({"--hold-ms", "300"});
  host_fixture h(channel_yaml(fake, fake.accounts[0]));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }));
  const int64_t t = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  json::object body{{"from", "dave@im.wechat"}, {"text", "answer me once"}, {"create_time_ms", t}};
  auto first = fake.call("POST", "/_fake/inject", body);
  ASSERT_TRUE(fake_ilink::wait_for([&] { return sent_to(fake, "dave@im.wechat").size() == 1; }))
      << h.logs();
  auto again = fake.call("POST", "/_fake/inject", body);
  ASSERT_NE(num(again, "message_id"), num(first, "message_id"));
  std::string log = h.wait_for_log("repeats message");
  EXPECT_NE(log.find("repeats message"), std::string::npos) << log;
  body["create_time_ms"] = t + 60'000;
  fake.call("POST", "/_fake/inject", body);
  ASSERT_TRUE(fake_ilink::wait_for([&] { return sent_to(fake, "dave@im.wechat").size() >= 2; }));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sent_to(fake, "dave@im.wechat").size(), 2u) << h.logs();
}

patchbay::kit::http_client_response post_message(host_fixture& h, const json::object& body) {
  patchbay::kit::http_client_request req;
  req.method = "POST";
  req.url = h.base + "/v1/messages";
  req.body = json::serialize(body);
  req.total_timeout = 20s;
  req.headers.emplace_back("Authorization", std::string("Bearer ") + pbtest::token);
  req.headers.emplace_back("Content-Type", "application/json");
  std::string err;
  patchbay::kit::http_client_response resp;
  patchbay::kit::http_fetch_blocking(req, err, resp);
  EXPECT_EQ(err, "");
  return resp;
}

TEST(WeixinE2E, ProactiveSendUsesTheLatestContextTokenEvenAfterARestart) {
  fake_ilink fake({"--hold-ms", "300"});
  host_fixture h(channel_yaml(fake, fake.accounts[0]));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  fake.inject("ivy@im.wechat", "one");
  auto second = fake.inject("ivy@im.wechat", "two");
  const std::string latest = str(second, "context_token");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return sent_to(fake, "ivy@im.wechat").size() == 2; }))
      << h.logs();
  // Each reply went out under its own message's token (about ten replies per token).
  auto replies = sent_to(fake, "ivy@im.wechat");
  EXPECT_NE(str(replies[0], "context_token"), str(replies[1], "context_token"));
  h.proc->signal(SIGTERM);
  ASSERT_EQ(h.proc->wait(20s), 0);
  relaunch(h);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return h.get("/readyz").status == 200; })) << h.logs();
  // No inbound turn: the plugin uses the user's latest token, kept in the instance store.
  auto ok = post_message(
      h, {{"channel", "wx"}, {"conversation", "ivy@im.wechat"}, {"text", "proactive hello"}});
  EXPECT_EQ(ok.status, 200u) << ok.body << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return sent_to(fake, "ivy@im.wechat").size() == 3; }));
  EXPECT_EQ(str(sent_to(fake, "ivy@im.wechat")[2], "text"), "proactive hello");
  EXPECT_EQ(str(sent_to(fake, "ivy@im.wechat")[2], "context_token"), latest);
  // A user who never wrote has no token: refused (iLink would drop it silently), not sent.
  auto refused = post_message(
      h, {{"channel", "wx"}, {"conversation", "nobody@im.wechat"}, {"text", "hello?"}});
  EXPECT_EQ(refused.status, 422u) << refused.body;
  EXPECT_NE(refused.body.find("context_token"), std::string::npos) << refused.body;
  EXPECT_TRUE(sent_to(fake, "nobody@im.wechat").empty());
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(WeixinE2E, AClientTimeoutIsAnEmptyPollNotAnError) {
  // The fake announces a 1 s hold; one getupdates then stalls for 4 s: the plugin gives up on it
  // after its deadline (1.5 s), polls again at once and stays connected.
  fake_ilink fake({"--hold-ms", "1000"});
  host_fixture h(channel_yaml(fake, fake.accounts[0]));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return fake.requests_to("getupdates").size() >= 2; }));
  fake.fault({{"kind", "stall"}, {"duration_ms", 4000}});
  std::string log = h.wait_for_log("no answer within the deadline");
  ASSERT_NE(log.find("no answer within the deadline"), std::string::npos) << log;
  fake.inject("jack@im.wechat", "after the stall");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return sent_to(fake, "jack@im.wechat").size() == 1; }))
      << h.logs();
  EXPECT_EQ(h.logs().find("getupdates failed"), std::string::npos) << h.logs();
  auto v = json::parse(h.get("/v1/channels", pbtest::token).body);
  EXPECT_EQ(str(v.at("channels").as_array()[0], "state"), "connected");
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(WeixinE2E, StopCancelsTheLongPollAtOnce) {
  // The fake holds polls for a minute; the host's stop deadline is 5 s.
  fake_ilink fake({"--hold-ms", "60000"});
  host_fixture h(channel_yaml(fake, fake.accounts[0], "      longpolling_timeout_ms: 60000\n"));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }));
  std::this_thread::sleep_for(300ms);  // the poll is parked at the fake
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
  const std::string log = h.logs();
  EXPECT_NE(log.find("cancelling the long poll"), std::string::npos) << log;
  // The plugin finished its stop by itself, well inside the host's deadline.
  EXPECT_EQ(log.find("did not finish stop"), std::string::npos) << log;
  EXPECT_FALSE(fake.requests_to("notifystop").empty());
}

}  // namespace
