// fake_ilink without sockets: ids, header/body validation, cursor semantics, long-poll
// bookkeeping, request log.
#include <boost/json/value.hpp>

#include "harness.hpp"
#include "ids.hpp"
#include "mailbox.hpp"
#include "settings.hpp"

namespace fakes_ilink_test {
namespace {

TEST(FakeIlinkIds, MessageIdsAreOddAboveTwoPow53AndNotDoubles) {
  id_source ids(7);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t id = ids.message_id();
    EXPECT_GT(id, 1ULL << 53);
    EXPECT_EQ(id % 2, 1u);
    EXPECT_NE(static_cast<std::uint64_t>(static_cast<double>(id)), id);
  }
  EXPECT_EQ(ids.account_id().size(), 12u + 7u);
  EXPECT_NE(ids.user_id().find("@im.wechat"), std::string::npos);
  EXPECT_EQ(ids.context_token().size(), 136u);
}

TEST(FakeIlinkIds, CursorRoundTripAndJunk) {
  const auto c = decode_cursor(encode_cursor(3, 12345678901234ULL, 9));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->account_index, 3u);
  EXPECT_EQ(c->seq, 12345678901234ULL);
  EXPECT_FALSE(decode_cursor("not base64!"));
  EXPECT_FALSE(decode_cursor("aGVsbG8="));                    // "hello"
  EXPECT_NE(encode_cursor(0, 5, 1), encode_cursor(0, 5, 2));  // every answer gets a fresh string
}

TEST(FakeIlinkIds, WechatUinAndQuery) {
  EXPECT_TRUE(valid_wechat_uin("MTIzNDU="));           // "12345"
  EXPECT_TRUE(valid_wechat_uin("NDI5NDk2NzI5NQ=="));   // "4294967295"
  EXPECT_FALSE(valid_wechat_uin("NDI5NDk2NzI5Ng=="));  // "4294967296" overflows uint32
  EXPECT_FALSE(valid_wechat_uin("MTIzNDU"));           // bad padding
  EXPECT_FALSE(valid_wechat_uin("LTE="));              // "-1"
  EXPECT_FALSE(valid_wechat_uin("12345"));             // not base64 of digits
  EXPECT_EQ(query_param("a=1&qrcode=ab%40c&x", "qrcode").value_or("?"), "ab@c");
  EXPECT_EQ(query_param("x&a=", "a").value_or("?"), "");
  EXPECT_FALSE(query_param("a=1", "b"));
}

TEST(FakeIlinkValidation, BogusOrMissingTokenIsHttp200SessionTimeout) {
  harness h;
  auto o = answer(h.fake.handle(h.bot_request("getupdates", {{"get_updates_buf", ""}}, "bogus")));
  EXPECT_EQ(int_field(o, "errcode"), -14);
  EXPECT_FALSE(o.contains("ret"));  // as observed from the real server
  o = answer(h.fake.handle(h.bot_request("sendmessage", {}, "")));
  EXPECT_EQ(int_field(o, "errcode"), -14);

  settings s;
  s.session_error_with_ret = true;
  harness h2(s);
  o = answer(h2.fake.handle(h2.bot_request("getconfig", {}, "bogus")));
  EXPECT_EQ(int_field(o, "ret"), -14);
}

TEST(FakeIlinkValidation, EveryRequiredHeaderIsChecked) {
  harness h;
  for (const std::string missing : {"Content-Type", "AuthorizationType", "X-WECHAT-UIN",
                                    "iLink-App-Id", "iLink-App-ClientVersion"}) {
    auto r = h.bot_request("getupdates", {{"get_updates_buf", ""}}, h.acct().bot_token);
    std::erase_if(r.headers, [&](const auto& hd) { return hd.first == missing; });
    const auto o = answer(h.fake.handle(r), 400);
    EXPECT_NE(std::string(o.at("errmsg").as_string()).find(missing), std::string::npos) << missing;
  }
  auto r = h.bot_request("getupdates", {{"get_updates_buf", ""}}, h.acct().bot_token);
  for (auto& hd : r.headers) {
    if (hd.first == "X-WECHAT-UIN") hd.second = "12345";  // not base64
  }
  answer(h.fake.handle(r), 400);
  r = h.bot_request("getupdates", {{"get_updates_buf", ""}}, h.acct().bot_token);
  r.method = "GET";
  answer(h.fake.handle(r), 405);
}

TEST(FakeIlinkValidation, BaseInfoIsRequired) {
  harness h;
  auto r = make_request("POST", "/ilink/bot/getupdates", R"({"get_updates_buf":""})");
  add_bot_headers(r, h.acct().bot_token);
  answer(h.fake.handle(r), 400);
  r.body = R"({"get_updates_buf":"","base_info":{"channel_version":""}})";
  answer(h.fake.handle(r), 400);
  r.body = "not json";
  answer(h.fake.handle(r), 400);
  EXPECT_EQ(h.poll("").act.what, action::kind::park);  // the harness's own request is valid
}

TEST(FakeIlinkUpdates, MessageIdIsABareIntegerAboveTwoPow53) {
  harness h;
  const auto injected = h.inject({{"text", "hi"}});
  const auto id = injected.at("message_id").as_int64();
  EXPECT_GT(static_cast<std::uint64_t>(id), 1ULL << 53);
  const auto o = h.poll("");
  ASSERT_EQ(o.act.what, action::kind::respond);
  // The exact digits on the wire (a double would round them).
  EXPECT_NE(o.act.response.body.find("\"message_id\":" + std::to_string(id)), std::string::npos);
  const auto a = answer(o);
  EXPECT_EQ(int_field(a, "ret"), 0);
  EXPECT_EQ(int_field(a, "longpolling_timeout_ms"), 35'000);
  const auto& msg = a.at("msgs").as_array().at(0).as_object();
  EXPECT_EQ(msg.at("from_user_id").as_string(), h.acct().user_id);
  EXPECT_EQ(msg.at("to_user_id").as_string(), h.acct().account_id);
  EXPECT_EQ(msg.at("context_token").as_string(), injected.at("context_token").as_string());
  EXPECT_EQ(msg.at("item_list").as_array().at(0).at("text_item").at("text").as_string(), "hi");
  EXPECT_EQ(int_field(msg, "message_type"), 1);

  settings s;
  s.ids_as_strings = true;
  harness h2(s);
  const auto id2 = h2.inject({{"text", "x"}}).at("message_id").as_int64();
  const auto a2 = answer(h2.poll(""));
  const auto& m2 = a2.at("msgs").as_array().at(0).as_object();
  EXPECT_EQ(m2.at("message_id").as_string(), std::to_string(id2));
  EXPECT_EQ(m2.at("item_list").as_array().at(0).at("msg_id").as_string(), std::to_string(id2));
}

TEST(FakeIlinkUpdates, CursorSemantics) {
  harness h;
  h.inject({{"text", "one"}});
  h.inject({{"text", "two"}});
  const auto first = answer(h.poll(""));
  ASSERT_EQ(first.at("msgs").as_array().size(), 2u);
  const std::string cursor(first.at("get_updates_buf").as_string());

  // Nothing new after the cursor: parked.
  const auto parked = h.poll(cursor);
  EXPECT_EQ(parked.act.what, action::kind::park);
  EXPECT_EQ(parked.act.delay, std::chrono::milliseconds(35'000));
  // The old cursor ("") again: re-delivered (at-least-once).
  EXPECT_EQ(answer(h.poll("")).at("msgs").as_array().size(), 2u);

  // An empty answer at the end of the hold keeps the position.
  const auto timed_out = h.fake.poll_timeout(parked.act.ticket);
  ASSERT_TRUE(timed_out);
  const auto empty = parse_object(timed_out->body);
  EXPECT_TRUE(empty.at("msgs").as_array().empty());
  h.inject({{"text", "three"}});
  const auto next = answer(h.poll(std::string(empty.at("get_updates_buf").as_string())));
  ASSERT_EQ(next.at("msgs").as_array().size(), 1u);
  EXPECT_EQ(next.at("msgs")
                .as_array()[0]
                .at("item_list")
                .as_array()[0]
                .at("text_item")
                .at("text")
                .as_string(),
            "three");

  // Junk and another account's cursor are refused.
  EXPECT_EQ(int_field(answer(h.poll("garbage")), "ret"), -1);
  EXPECT_EQ(int_field(answer(h.poll(encode_cursor(7, 1, 1))), "ret"), -1);
}

TEST(FakeIlinkUpdates, EmptyCursorNowStartsAtTheEnd) {
  harness h;
  h.control_json("POST", "/_fake/config", {{"empty_cursor", "now"}});
  h.inject({{"text", "old"}});
  EXPECT_EQ(h.poll("").act.what, action::kind::park);
}

TEST(FakeIlinkLongPoll, InjectCompletesOnlyThatAccountsPolls) {
  harness h({}, 2);
  const auto a1 = h.poll("", 0);
  const auto a2 = h.poll("", 0);
  const auto b = h.poll("", 1);
  ASSERT_EQ(a1.act.what, action::kind::park);
  ASSERT_EQ(b.act.what, action::kind::park);
  EXPECT_EQ(h.fake.parked_polls(), 3u);

  const auto o =
      h.control("POST", "/_fake/inject", {{"account", h.acct(0).account_id}, {"text", "hey"}});
  ASSERT_EQ(o.ready.size(), 2u);
  for (const auto& c : o.ready) {
    EXPECT_TRUE(c.ticket == a1.act.ticket || c.ticket == a2.act.ticket);
    EXPECT_EQ(parse_object(c.response.body).at("msgs").as_array().size(), 1u);
  }
  EXPECT_FALSE(h.fake.poll_timeout(a1.act.ticket));  // answered exactly once
  EXPECT_EQ(h.fake.parked_polls(), 1u);
  const auto late = h.fake.poll_timeout(b.act.ticket);
  ASSERT_TRUE(late);
  EXPECT_TRUE(parse_object(late->body).at("msgs").as_array().empty());
}

TEST(FakeIlinkLongPoll, HoldZeroAnswersAtOnce) {
  harness h;
  h.control_json("POST", "/_fake/config", {{"hold_ms", 0}});
  EXPECT_TRUE(answer(h.poll("")).at("msgs").as_array().empty());
}

TEST(FakeIlinkRequestLog, OrderRedactionStatusAndBound) {
  harness h;
  const auto parked = h.poll("");
  answer(h.fake.handle(h.bot_request("getupdates", {{"get_updates_buf", ""}}, "bogus")));
  h.inject({{"text", "x"}});  // control: not recorded; completes the parked poll
  auto reqs = h.control_json("GET", "/_fake/requests").at("requests").as_array();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].at("account").as_string(), h.acct().account_id);
  EXPECT_EQ(reqs[0].at("status").as_int64(), 200);
  EXPECT_EQ(reqs[0].at("msgs").as_int64(), 1);
  EXPECT_EQ(reqs[0].at("headers").at("Authorization").as_string(), "Bearer ***");
  EXPECT_EQ(reqs[0].at("body").at("base_info").at("channel_version").as_string(), "2.4.9");
  EXPECT_EQ(reqs[1].at("account").as_string(), "");
  EXPECT_EQ(reqs[1].at("errcode").as_int64(), -14);
  EXPECT_EQ(h.control_json("GET", "/_fake/requests?account=" + h.acct().account_id)
                .at("requests")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(
      h.control_json("GET", "/_fake/requests?account=nobody").at("requests").as_array().size(), 0u);

  h.control_json("POST", "/_fake/config", {{"max_requests", 3}});
  for (int i = 0; i < 5; ++i) h.bot("msg/notifystop");
  reqs = h.control_json("GET", "/_fake/requests").at("requests").as_array();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[2].at("path").as_string(), "/ilink/bot/msg/notifystop");
  EXPECT_LT(reqs[0].at("id").as_int64(), reqs[2].at("id").as_int64());
}

TEST(FakeIlinkSettings, PatchIsAllOrNothing) {
  settings s;
  EXPECT_NE(apply_patch(s, {{"hold_ms", 5}, {"nonsense", 1}}), "");
  EXPECT_EQ(s.hold_ms, 35'000);
  EXPECT_NE(apply_patch(s, {{"send_success", "maybe"}}), "");
  EXPECT_EQ(apply_patch(s, {{"hold_ms", 5}, {"empty_cursor", "now"}}), "");
  EXPECT_EQ(s.hold_ms, 5);
  EXPECT_FALSE(s.empty_cursor_backlog);
}

TEST(FakeIlinkMailbox, DuplicateNeverSharesABatchWithItsOriginal) {
  mailbox box;
  stored_message m;
  m.message_id = 11;
  box.append(m, 10);
  m.duplicate = true;
  box.append(m, 10);
  m.duplicate = false;
  m.message_id = 13;
  box.append(m, 10);
  auto batch = box.after(0, 10);
  ASSERT_EQ(batch.size(), 1u);
  batch = box.after(batch.back()->seq, 10);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0]->message_id, 11u);
  EXPECT_EQ(batch[1]->message_id, 13u);
  // Retention: the oldest go, seqs keep counting.
  for (int i = 0; i < 20; ++i) box.append(m, 10);
  EXPECT_EQ(box.size(), 10u);
  EXPECT_EQ(box.after(0, 100).size(), 10u);
  EXPECT_EQ(box.last_seq(), 23u);
}

}  // namespace
}  // namespace fakes_ilink_test
