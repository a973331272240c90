// Who may talk to the bot (docs/architecture.md §13), end to end: the real `patchbay run` with the
// real Weixin plugin against the fake iLink server. A stranger under the default allowlist gets
// nothing at all; pairing from code to `patchbay pair approve` to an answer, kept across a
// restart and revoked; the rate limit in notice and queue mode; a late message gets the notice.
#include <boost/json.hpp>

#include <algorithm>

#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;

std::vector<std::string> texts_to(const fake_ilink& fake, const std::string& user) {
  std::vector<std::string> out;
  for (const auto& s : fake.sent())
    if (str(s, "to") == user) out.push_back(str(s, "text"));
  return out;
}

// `patchbay pair ARGS... --url BASE` with the API token; stdout, or "rc=N: stderr".
std::string pair(const host_fixture& h, std::vector<std::string> args) {
  std::vector<std::string> argv{PB_PATCHBAY_BIN, "pair"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--url", h.base});
  std::string out, err;
  const int rc = pbtest::run_command(argv, out, err, {{"PATCHBAY_TOKEN", pbtest::token}});
  return rc == 0 ? out : "rc=" + std::to_string(rc) + ": " + err;
}

bool polling(const fake_ilink& fake) {
  return fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); });
}

// The value of `metric{channel="wx"}` in /metrics.
std::string metric(host_fixture& h, const std::string& name) {
  const std::string body = h.get("/metrics", pbtest::token).body;
  const std::string key = name + "{channel=\"wx\"} ";
  auto at = body.find(key);
  if (at == std::string::npos) return "absent";
  return body.substr(at + key.size(), body.find('\n', at) - at - key.size());
}

TEST(WeixinAccess, StrangerUnderTheDefaultAllowlistGetsNothingAndNothingLeaks) {
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0], "", "wx",
                              "    access: {allow: [\"friend@im.wechat\"]}\n"));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(polling(fake)) << h.logs();
  fake.inject("stranger@im.wechat", "secret-question-7781");
  fake.inject("friend@im.wechat", "hello friend");
  // The friend's answer proves the stranger's earlier message went through the gate already.
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !texts_to(fake, "friend@im.wechat").empty(); }))
      << h.logs();
  EXPECT_EQ(texts_to(fake, "friend@im.wechat"), std::vector<std::string>{"hello friend"});
  // Every byte the fake recorded: no send, no typing, no request at all names the stranger.
  const std::string recorded =
      boost::json::serialize(fake.sent()) + boost::json::serialize(fake.requests());
  EXPECT_EQ(recorded.find("stranger@im.wechat"), std::string::npos) << recorded;
  EXPECT_EQ(recorded.find("secret-question-7781"), std::string::npos);
  EXPECT_EQ(metric(h, "patchbay_channel_access_refused_total"), "1");
  // A refused message is a warning in the log (at most once a minute), without the text.
  const std::string log = h.logs();
  EXPECT_NE(log.find("refused by the access rules"), std::string::npos);
  EXPECT_EQ(log.find("secret-question-7781"), std::string::npos);
}

TEST(WeixinAccess, PairingCodeApprovedByTheOperatorSurvivesARestartAndIsRevoked) {
  fake_ilink fake;
  host_fixture h(
      channel_yaml(fake, fake.accounts[0], "", "wx", "    access: {dm: pairing}\n" PB_NO_LIMITS));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(polling(fake)) << h.logs();
  const std::string bob = "bob@im.wechat";
  fake.inject(bob, "let me in");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !texts_to(fake, bob).empty(); })) << h.logs();
  const std::string notice = texts_to(fake, bob).at(0);
  const std::string marker = "pairing code is ";
  auto at = notice.find(marker);
  ASSERT_NE(at, std::string::npos) << notice;
  const std::string code = notice.substr(at + marker.size(), 8);
  EXPECT_EQ(notice.find("let me in"), std::string::npos);  // no turn ran
  EXPECT_EQ(notice.find("wx"), std::string::npos);         // nothing about the channel or owner
  EXPECT_NE(pair(h, {"list"}).find(code), std::string::npos);

  EXPECT_EQ(pair(h, {"approve", "NOPE2345"}).rfind("rc=1", 0), 0U);
  const std::string approved = pair(h, {"approve", code});
  EXPECT_NE(approved.find("channel wx, sender bob@im.wechat"), std::string::npos) << approved;
  fake.inject(bob, "now paired");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return texts_to(fake, bob).size() >= 2; })) << h.logs();
  EXPECT_EQ(texts_to(fake, bob).at(1), "now paired");

  h.proc.reset();  // a restart keeps the approval (state store)
  h.launch();
  ASSERT_FALSE(h.base.empty()) << h.logs();
  fake.inject(bob, "after restart");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return texts_to(fake, bob).size() >= 3; })) << h.logs();
  EXPECT_EQ(texts_to(fake, bob).at(2), "after restart");

  EXPECT_NE(pair(h, {"revoke", "wx", bob}).find("revoked"), std::string::npos);
  EXPECT_EQ(pair(h, {"revoke", "wx", bob}).rfind("rc=1", 0), 0U);
  fake.inject(bob, "revoked now");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return texts_to(fake, bob).size() >= 4; })) << h.logs();
  EXPECT_NE(texts_to(fake, bob).at(3).find(marker), std::string::npos);  // a code again
}

TEST(WeixinAccess, OverTheLimitOneNoticeThenSilence) {
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0], "", "wx",
                              "    access: {dm: open}\n"
                              "    limits: {per_sender: {per_minute: 1, burst: 2}}\n"));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(polling(fake)) << h.logs();
  for (const char* t : {"m1", "m2", "m3", "m4"}) fake.inject("carol@im.wechat", t);
  ASSERT_TRUE(fake_ilink::wait_for([&] { return texts_to(fake, "carol@im.wechat").size() >= 3; }))
      << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    return metric(h, "patchbay_channel_rate_limited_total") == "2";
  })) << metric(h, "patchbay_channel_rate_limited_total");
  auto texts = texts_to(fake, "carol@im.wechat");
  ASSERT_EQ(texts.size(), 3U);  // m4 was dropped silently
  EXPECT_EQ(std::count(texts.begin(), texts.end(), "m1"), 1);
  EXPECT_EQ(std::count(texts.begin(), texts.end(), "m2"), 1);
  EXPECT_EQ(
      std::count_if(texts.begin(), texts.end(),
                    [](const std::string& t) { return t.rfind("Too many messages", 0) == 0; }),
      1);
}

TEST(WeixinAccess, OverTheLimitQueuedMessagesAreAnsweredInOrder) {
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0], "", "wx",
                              "    access: {dm: open}\n"
                              "    limits: {per_sender: {per_minute: 120, burst: 1}, "
                              "over_limit: queue}\n"));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(polling(fake)) << h.logs();
  for (const char* t : {"q1", "q2", "q3"}) fake.inject("dave@im.wechat", t);
  ASSERT_TRUE(fake_ilink::wait_for([&] { return texts_to(fake, "dave@im.wechat").size() >= 3; }))
      << h.logs();
  EXPECT_EQ(texts_to(fake, "dave@im.wechat"), (std::vector<std::string>{"q1", "q2", "q3"}));
  EXPECT_EQ(metric(h, "patchbay_channel_rate_limited_total"), "2");
}

TEST(WeixinAccess, ALateMessageGetsTheNoticeInsteadOfATurn) {
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0], "", "wx",
                              "    access: {dm: open}\n    late: {after_s: 600}\n"));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(polling(fake)) << h.logs();
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  boost::json::object body{{"from", "erin@im.wechat"},
                           {"text", "run the old command"},
                           {"create_time_ms", now_ms - 20 * 60 * 1000}};
  fake.call("POST", "/_fake/inject", body);
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !texts_to(fake, "erin@im.wechat").empty(); }))
      << h.logs();
  auto texts = texts_to(fake, "erin@im.wechat");
  ASSERT_EQ(texts.size(), 1U);
  EXPECT_NE(texts[0].find("arrived late"), std::string::npos) << texts[0];
  EXPECT_EQ(metric(h, "patchbay_channel_late_total"), "1");
  fake.inject("erin@im.wechat", "fresh");  // sent now: answered
  ASSERT_TRUE(fake_ilink::wait_for([&] { return texts_to(fake, "erin@im.wechat").size() >= 2; }))
      << h.logs();
  EXPECT_EQ(texts_to(fake, "erin@im.wechat").at(1), "fresh");
}

}  // namespace
