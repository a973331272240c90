// fake_ilink's fault table, without sockets: session expiry (soft and hard), notifystart
// failures, duplicate delivery, stall, drop, send_ret, http_status.
#include "faults.hpp"
#include "harness.hpp"

namespace fakes_ilink_test {
namespace {

json::object text_send(const std::string& to, const std::string& token,
                       const std::string& client_id) {
  json::object msg{
      {"from_user_id", ""},
      {"to_user_id", to},
      {"client_id", client_id},
      {"message_type", 2},
      {"message_state", 2},
      {"item_list", json::array{json::object{{"type", 1}, {"text_item", {{"text", "reply"}}}}}}};
  if (!token.empty()) msg["context_token"] = token;
  return {{"msg", std::move(msg)}};
}

TEST(FakeIlinkFaults, ExpireSessionUntilNotifyStart) {
  harness h;
  const auto parked = h.poll("");
  ASSERT_EQ(parked.act.what, action::kind::park);
  const auto tok = h.inject({{"text", "before"}}).at("context_token").as_string();
  // (the inject answered the parked poll; park a fresh one for the fault to hit)
  const auto cursor = std::string(answer(h.poll("")).at("get_updates_buf").as_string());
  const auto parked2 = h.poll(cursor);
  ASSERT_EQ(parked2.act.what, action::kind::park);

  const auto armed = h.control("POST", "/_fake/fault", {{"kind", "expire_session"}});
  ASSERT_EQ(armed.ready.size(), 1u);  // the parked poll learns at once
  EXPECT_EQ(armed.ready[0].ticket, parked2.act.ticket);
  EXPECT_EQ(int_field(parse_object(armed.ready[0].response.body), "errcode"), -14);

  EXPECT_EQ(int_field(answer(h.poll(cursor)), "errcode"), -14);
  EXPECT_EQ(int_field(answer(h.poll(cursor)), "errcode"), -14);
  // Outbound is not affected by a soft expiry.
  EXPECT_EQ(
      int_field(answer(h.bot("sendmessage", text_send(h.acct().user_id, std::string(tok), "c1"))),
                "ret"),
      0);
  // notifystart cures it.
  EXPECT_EQ(int_field(answer(h.bot("msg/notifystart")), "ret"), 0);
  EXPECT_EQ(h.poll(cursor).act.what, action::kind::park);
  EXPECT_EQ(h.control_json("GET", "/_fake/accounts").at("accounts").at(0).at("session").as_string(),
            "ok");
}

TEST(FakeIlinkFaults, ExpireSessionWithRetAndCustomPaths) {
  harness h;
  h.fault({{"kind", "expire_session"},
           {"with_ret", true},
           {"paths", json::array{"getupdates", "sendmessage"}}});
  const auto o = answer(h.poll(""));
  EXPECT_EQ(int_field(o, "ret"), -14);
  EXPECT_EQ(int_field(o, "errcode"), -14);
  EXPECT_EQ(
      int_field(answer(h.bot("sendmessage", text_send(h.acct().user_id, "", "c"))), "errcode"),
      -14);
  EXPECT_EQ(int_field(answer(h.bot("getconfig", {{"ilink_user_id", h.acct().user_id}})), "ret"), 0);
}

TEST(FakeIlinkFaults, HardExpiryNeedsRelogin) {
  harness h;
  h.fault({{"kind", "expire_session_hard"}});
  EXPECT_EQ(int_field(answer(h.poll("")), "errcode"), -14);
  EXPECT_EQ(int_field(answer(h.bot("msg/notifystart")), "errcode"), -14);
  EXPECT_EQ(int_field(answer(h.poll("")), "errcode"), -14);
  h.fault({{"kind", "expire_session"}});  // never weakens a hard expiry
  EXPECT_EQ(int_field(answer(h.bot("msg/notifystart")), "errcode"), -14);
  h.control_json("POST", "/_fake/relogin", {});
  EXPECT_EQ(h.poll("").act.what, action::kind::park);
}

TEST(FakeIlinkFaults, FailNotifyStartCountThenSucceed) {
  harness h;
  h.fault({{"kind", "expire_session"}});
  h.fault({{"kind", "fail_notifystart"}, {"count", 2}});
  for (int i = 0; i < 2; ++i) {
    const auto o = answer(h.bot("msg/notifystart"));
    EXPECT_EQ(int_field(o, "errcode"), -1);
    EXPECT_EQ(int_field(o, "ret"), -1);
    EXPECT_EQ(int_field(answer(h.poll("")), "errcode"), -14);  // still expired
  }
  EXPECT_EQ(int_field(answer(h.bot("msg/notifystart")), "ret"), 0);
  EXPECT_EQ(h.poll("").act.what, action::kind::park);

  h.fault({{"kind", "fail_notifystart"}, {"http_status", 500}});
  EXPECT_EQ(h.bot("msg/notifystart").act.response.status, 500u);
  answer(h.bot("msg/notifystart"), 200);
}

TEST(FakeIlinkFaults, DuplicateDeliveryInTwoPollsSameId) {
  harness h;
  h.fault({{"kind", "duplicate_delivery"}});
  const auto id = h.inject({{"text", "dup"}}).at("message_id").as_int64();
  const auto p1 = answer(h.poll(""));
  ASSERT_EQ(p1.at("msgs").as_array().size(), 1u);
  EXPECT_EQ(p1.at("msgs").as_array()[0].at("message_id").as_int64(), id);
  const auto p2 = answer(h.poll(std::string(p1.at("get_updates_buf").as_string())));
  ASSERT_EQ(p2.at("msgs").as_array().size(), 1u);
  EXPECT_EQ(p2.at("msgs").as_array()[0].at("message_id").as_int64(), id);
  EXPECT_EQ(h.poll(std::string(p2.at("get_updates_buf").as_string())).act.what, action::kind::park);
  // Only the next message: the one after is delivered once.
  h.inject({{"text", "single"}});
  const auto p3 = answer(h.poll(std::string(p2.at("get_updates_buf").as_string())));
  EXPECT_EQ(p3.at("msgs").as_array().size(), 1u);
  EXPECT_EQ(h.poll(std::string(p3.at("get_updates_buf").as_string())).act.what, action::kind::park);
}

TEST(FakeIlinkFaults, StallHoldsThenAnswersWithoutAnotherHold) {
  harness h;
  h.fault({{"kind", "stall"}, {"duration_ms", 120'000}});
  const auto s = h.poll("");
  ASSERT_EQ(s.act.what, action::kind::stall);
  EXPECT_EQ(s.act.delay, std::chrono::milliseconds(120'000));
  // An inject during the stall does not answer it.
  EXPECT_TRUE(h.control("POST", "/_fake/inject", {{"text", "during"}}).ready.empty());
  const auto over = h.fake.stall_over(s.act.ticket);
  EXPECT_EQ(answer(over).at("msgs").as_array().size(), 1u);
  EXPECT_EQ(h.fake.stall_over(s.act.ticket).act.response.body, "");  // once only
  // The next poll is not stalled.
  EXPECT_EQ(answer(h.poll("")).at("msgs").as_array().size(), 1u);
}

TEST(FakeIlinkFaults, DropConnectionByPathAndCount) {
  harness h;
  h.fault({{"kind", "drop_connection"}, {"path", "sendmessage"}, {"count", 2}});
  EXPECT_EQ(h.poll("").act.what, action::kind::park);  // other paths unaffected
  EXPECT_EQ(h.bot("sendmessage", text_send(h.acct().user_id, "", "a")).act.what,
            action::kind::drop);
  EXPECT_EQ(h.bot("sendmessage", text_send(h.acct().user_id, "", "b")).act.what,
            action::kind::drop);
  EXPECT_EQ(h.bot("sendmessage", text_send(h.acct().user_id, "", "c")).act.what,
            action::kind::respond);
  const auto reqs = h.control_json("GET", "/_fake/requests").at("requests").as_array();
  EXPECT_TRUE(reqs[1].at("dropped").as_bool());
  EXPECT_EQ(h.sent_count(), 0u);  // the drops were never processed; "c" lacked a context token
}

TEST(FakeIlinkFaults, SendRetVariants) {
  harness h;
  const auto tok = std::string(h.inject({{"text", "x"}}).at("context_token").as_string());
  const auto& user = h.acct().user_id;
  h.fault({{"kind", "send_ret"}});
  auto o = answer(h.bot("sendmessage", text_send(user, tok, "1")));
  EXPECT_EQ(int_field(o, "ret"), -2);
  h.fault({{"kind", "send_ret"}, {"errcode", -14}, {"errmsg", "session timeout"}});
  o = answer(h.bot("sendmessage", text_send(user, tok, "2")));
  EXPECT_FALSE(o.contains("ret"));
  EXPECT_EQ(int_field(o, "errcode"), -14);
  h.fault({{"kind", "send_ret"}, {"empty_body", true}});
  const auto empty = h.bot("sendmessage", text_send(user, tok, "3"));
  EXPECT_EQ(empty.act.response.status, 200u);
  EXPECT_EQ(empty.act.response.body, "");
  EXPECT_EQ(h.sent_count(), 0u);
  EXPECT_EQ(int_field(answer(h.bot("sendmessage", text_send(user, tok, "4"))), "ret"), 0);
  EXPECT_EQ(h.sent_count(), 1u);
}

TEST(FakeIlinkFaults, HttpStatusAndAccountScope) {
  harness h({}, 2);
  h.fault(
      {{"kind", "http_status"}, {"status", 524}, {"count", 2}, {"account", h.acct(1).account_id}});
  EXPECT_EQ(h.poll("", 0).act.what, action::kind::park);
  EXPECT_EQ(h.poll("", 1).act.response.status, 524u);
  EXPECT_EQ(h.poll("", 1).act.response.status, 524u);
  EXPECT_EQ(h.poll("", 1).act.what, action::kind::park);
  const auto faults = h.control_json("GET", "/_fake/faults").at("faults").as_array();
  EXPECT_TRUE(faults.empty());
}

TEST(FakeIlinkFaults, BadFaultsAreRefused) {
  harness h;
  EXPECT_EQ(h.control("POST", "/_fake/fault", {{"kind", "meteor"}}).act.response.status, 400u);
  EXPECT_EQ(
      h.control("POST", "/_fake/fault", {{"kind", "stall"}, {"count", 0}}).act.response.status,
      400u);
  EXPECT_EQ(h.control("POST", "/_fake/fault", {{"kind", "stall"}, {"account", "x@im.bot"}})
                .act.response.status,
            400u);
  EXPECT_EQ(h.control("POST", "/_fake/fault", {{"kind", "http_status"}, {"status", 42}})
                .act.response.status,
            400u);
  EXPECT_TRUE(path_matches("getupdates", "/ilink/bot/getupdates"));
  EXPECT_TRUE(path_matches("notifystart", "/ilink/bot/msg/notifystart"));
  EXPECT_FALSE(path_matches("updates", "/ilink/bot/getupdates"));
}

TEST(FakeIlinkFaults, ResetClearsFaultsQueuesSentRequestsButKeepsAccounts) {
  harness h;
  h.fault({{"kind", "expire_session_hard"}});
  h.fault({{"kind", "stall"}, {"count", -1}});
  h.inject({{"text", "x"}});
  h.control_json("POST", "/_fake/config", {{"hold_ms", 1}});
  h.control_json("POST", "/_fake/reset");
  EXPECT_TRUE(h.control_json("GET", "/_fake/requests").at("requests").as_array().empty());
  EXPECT_EQ(h.control_json("GET", "/_fake/config").at("hold_ms").as_int64(), 35'000);
  const auto p = h.poll("");
  EXPECT_EQ(p.act.what, action::kind::park);  // no stall, no expiry, no queued message
  EXPECT_EQ(h.control_json("GET", "/_fake/accounts").at("accounts").as_array().size(), 1u);
}

}  // namespace
}  // namespace fakes_ilink_test
