// patchbay-fake-ilink as a real process on loopback, driven with the kit HTTP client: first line,
// inject -> long poll -> reply -> /_fake/sent, -14 -> notifystart -> resumed, bogus token -> -14,
// drop_connection, and 1,000 accounts each holding a long poll at once.
#include <sys/resource.h>

#include <atomic>
#include <fstream>
#include <future>

#include "fake_ilink_process.hpp"

namespace fakes_ilink_loopback {
namespace {

struct client {
  kit::io_runtime rt{2};
  kit_test::fetch_result call(kit::http_client_request r, std::chrono::milliseconds wait = 40s) {
    return kit_test::fetch(rt, std::move(r), wait);
  }
  json::object ok_json(kit::http_client_request r, unsigned status = 200) {
    const auto res = call(std::move(r));
    EXPECT_TRUE(res.completed);
    EXPECT_EQ(res.error, "");
    EXPECT_EQ(res.response.status, status) << res.response.body;
    return parse_object(res.response.body);
  }
};

std::int64_t field(const json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  return v && v->is_int64() ? v->get_int64() : -999'999;
}

TEST(FakeIlinkLoopback, InjectPollReplyExpireRecover) {
  fake_process fake({"--hold-ms", "20000"});
  ASSERT_FALSE(fake.base_url.empty());
  EXPECT_EQ(fake.first_line.at("listen").as_string(),
            fake.base_url.substr(std::string("http://").size()));
  ASSERT_EQ(fake.first_line.at("accounts").as_array().size(), 1u);
  EXPECT_NE(fake.account_id().find("@im.bot"), std::string::npos);
  std::promise<kit_test::fetch_result>
      polled;  // before the client: its callbacks may run until it is gone
  client c;

  // A long poll parks (no news), then an injected message answers it.
  kit::http_fetch(c.rt, fake.bot_request("getupdates", {{"get_updates_buf", ""}}, fake.token()),
                  [&](std::string error, kit::http_client_response response) {
                    kit_test::fetch_result r;
                    r.completed = true;
                    r.error = std::move(error);
                    r.response = std::move(response);
                    polled.set_value(std::move(r));
                  });
  ASSERT_TRUE(kit_test::wait_until(
      [&] {
        return c.ok_json(fake.control_request("GET", "/_fake/accounts"))
                   .at("parked_polls")
                   .as_int64() == 1;
      },
      10s));
  const auto injected = c.ok_json(fake.control_request(
      "POST", "/_fake/inject", {{"from", "friend@im.wechat"}, {"text", "hello"}}));
  const auto id = injected.at("message_id").as_int64();
  const std::string context_token(injected.at("context_token").as_string());
  auto fut = polled.get_future();
  ASSERT_EQ(fut.wait_for(30s), std::future_status::ready);
  const auto poll = fut.get();
  ASSERT_EQ(poll.error, "");
  ASSERT_EQ(poll.response.status, 200u);
  EXPECT_NE(poll.response.body.find("\"message_id\":" + std::to_string(id)), std::string::npos);
  const auto answer = parse_object(poll.response.body);
  ASSERT_EQ(answer.at("msgs").as_array().size(), 1u);
  const auto& msg = answer.at("msgs").as_array()[0].as_object();
  EXPECT_EQ(msg.at("context_token").as_string(), context_token);
  EXPECT_EQ(msg.at("item_list").as_array()[0].at("text_item").at("text").as_string(), "hello");
  const std::string cursor(answer.at("get_updates_buf").as_string());

  // Reply with the context token; the fake records it.
  json::object msg_out{{"from_user_id", ""},
                       {"to_user_id", "friend@im.wechat"},
                       {"client_id", "openclaw-weixin:1-0a0b0c0d"},
                       {"message_type", 2},
                       {"message_state", 2},
                       {"context_token", context_token},
                       {"item_list", json::array{json::object{
                                         {"type", 1}, {"text_item", {{"text", "echo: hello"}}}}}}};
  const auto sent_answer =
      c.ok_json(fake.bot_request("sendmessage", {{"msg", msg_out}}, fake.token()));
  EXPECT_EQ(field(sent_answer, "ret"), 0);
  const auto sent = c.ok_json(fake.control_request("GET", "/_fake/sent")).at("sent").as_array();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("text").as_string(), "echo: hello");
  EXPECT_EQ(sent[0].at("to").as_string(), "friend@im.wechat");
  EXPECT_EQ(sent[0].at("context_token").as_string(), context_token);
  EXPECT_EQ(sent[0].at("account").as_string(), fake.account_id());

  // -14 until notifystart, then the poll resumes (a queued message comes through).
  c.ok_json(fake.control_request("POST", "/_fake/fault", {{"kind", "expire_session"}}));
  EXPECT_EQ(
      field(c.ok_json(fake.bot_request("getupdates", {{"get_updates_buf", cursor}}, fake.token())),
            "errcode"),
      -14);
  c.ok_json(fake.control_request("POST", "/_fake/inject", {{"text", "after recovery"}}));
  EXPECT_EQ(field(c.ok_json(fake.bot_request("msg/notifystart", {}, fake.token())), "ret"), 0);
  const auto resumed =
      c.ok_json(fake.bot_request("getupdates", {{"get_updates_buf", cursor}}, fake.token()));
  EXPECT_EQ(field(resumed, "ret"), 0);
  ASSERT_EQ(resumed.at("msgs").as_array().size(), 1u);

  // A bogus token: HTTP 200 with errcode -14, at once.
  const auto bogus =
      c.ok_json(fake.bot_request("getupdates", {{"get_updates_buf", ""}}, "not-a-token"));
  EXPECT_EQ(field(bogus, "errcode"), -14);

  // The request log saw all of it, in order.
  const auto reqs =
      c.ok_json(fake.control_request("GET", "/_fake/requests")).at("requests").as_array();
  std::vector<std::string> paths;
  for (const auto& r : reqs) paths.emplace_back(r.at("path").as_string());
  const std::vector<std::string> expected{"/ilink/bot/getupdates", "/ilink/bot/sendmessage",
                                          "/ilink/bot/getupdates", "/ilink/bot/msg/notifystart",
                                          "/ilink/bot/getupdates", "/ilink/bot/getupdates"};
  EXPECT_EQ(paths, expected);
  EXPECT_EQ(reqs[2].at("errcode").as_int64(), -14);
  EXPECT_EQ(reqs[5].at("account").as_string(), "");

  EXPECT_EQ(fake.terminate(), 0) << fake.logs();
  // Tokens never reach the log.
  EXPECT_EQ(fake.logs().find(fake.token()), std::string::npos);
}

TEST(FakeIlinkLoopback, DropConnectionGivesATransportErrorNotAStatus) {
  fake_process fake({"--hold-ms", "100"});
  client c;
  c.ok_json(fake.control_request("POST", "/_fake/fault", {{"kind", "drop_connection"}}));
  const auto dropped =
      c.call(fake.bot_request("getupdates", {{"get_updates_buf", ""}}, fake.token()));
  ASSERT_TRUE(dropped.completed);
  EXPECT_NE(dropped.error, "") << "status " << dropped.response.status;
  // The next one is answered normally (an empty poll after the 100 ms hold).
  const auto next =
      c.ok_json(fake.bot_request("getupdates", {{"get_updates_buf", ""}}, fake.token()));
  EXPECT_EQ(field(next, "ret"), 0);
}

long rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(FakeIlinkLoopback, ThousandAccountsEachHoldingAPoll) {
  constexpr int n = 1000;
  rlimit rl{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < n + 200 && rl.rlim_max >= n + 200) {
    rl.rlim_cur = n + 200;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < n + 200)
    GTEST_SKIP() << "open-file limit " << rl.rlim_cur << " too low for " << n << " polls";

  fake_process fake({"--hold-ms", "60000", "--accounts", std::to_string(n)});
  ASSERT_EQ(fake.first_line.at("accounts").as_array().size(), static_cast<std::size_t>(n));
  std::atomic<int> done{0},
      with_message{0};  // before the client: its callbacks may run until it is gone
  client c;
  const long rss_before = rss_kib(fake.pid());

  for (int i = 0; i < n; ++i) {
    // Long polls keep connections of their own, as the weixin plugin's do (the pool bounds the
    // connections per origin; a held poll must not wait for one).
    auto poll = fake.bot_request("getupdates", {{"get_updates_buf", ""}}, fake.token(i), 90s);
    poll.reuse_connection = false;
    kit::http_fetch(c.rt, std::move(poll),
                    [&](std::string error, kit::http_client_response response) {
                      if (error.empty() && response.status == 200 &&
                          parse_object(response.body).at("msgs").as_array().size() == 1) {
                        ++with_message;
                      }
                      ++done;
                    });
  }
  ASSERT_TRUE(kit_test::wait_until(
      [&] {
        return c.ok_json(fake.control_request("GET", "/_fake/accounts"))
                   .at("parked_polls")
                   .as_int64() == n;
      },
      60s))
      << fake.logs();
  const long rss_parked = rss_kib(fake.pid());
  EXPECT_EQ(done.load(), 0);  // all of them are held
  for (int i = 0; i < n; ++i) {
    c.ok_json(fake.control_request("POST", "/_fake/inject",
                                   {{"account", fake.account_id(i)}, {"text", "wake"}}));
  }
  ASSERT_TRUE(kit_test::wait_until([&] { return done.load() == n; }, 60s));
  EXPECT_EQ(with_message.load(), n);
  std::printf(
      "[ figures ] fake-ilink RSS: %ld KiB idle with %d accounts, %ld KiB with %d parked polls\n",
      rss_before, n, rss_parked, n);
}

}  // namespace
}  // namespace fakes_ilink_loopback
