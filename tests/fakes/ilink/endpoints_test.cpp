// fake_ilink endpoints without sockets: sendmessage rules, getconfig/sendtyping, QR login, the
// media CDN, and the control API's own checks.
#include "cdn_store.hpp"
#include "harness.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

namespace fakes_ilink_test {
namespace {
using patchbay::common::from_hex;
using patchbay::common::md5_hex;

json::object send_body(const std::string& to, const std::string& token,
                       const std::string& client_id,
                       json::object item = {{"type", 1}, {"text_item", {{"text", "hello"}}}}) {
  json::object msg{{"from_user_id", ""},     {"to_user_id", to},
                   {"client_id", client_id}, {"message_type", 2},
                   {"message_state", 2},     {"item_list", json::array{std::move(item)}},
                   {"run_id", "run-1"}};
  if (!token.empty()) msg["context_token"] = token;
  return {{"msg", std::move(msg)}};
}

struct FakeIlinkSend : ::testing::Test {
  harness h;
  std::string user = h.acct().user_id;
  std::string token = std::string(h.inject({{"text", "q"}}).at("context_token").as_string());
  std::int64_t ret(json::object body) {
    return int_field(answer(h.bot("sendmessage", std::move(body))), "ret");
  }
};

TEST_F(FakeIlinkSend, SuccessIsRecordedWithAnIdAboveTwoPow53) {
  const auto o = h.bot("sendmessage", send_body(user, token, "openclaw-weixin:1-abcd"));
  const auto a = answer(o);
  EXPECT_EQ(int_field(a, "ret"), 0);
  const auto id = a.at("message_id").as_int64();
  EXPECT_GT(static_cast<std::uint64_t>(id), 1ULL << 53);
  EXPECT_NE(o.act.response.body.find(std::to_string(id)), std::string::npos);
  const auto sent = h.control_json("GET", "/_fake/sent").at("sent").as_array();
  ASSERT_EQ(sent.size(), 1u);
  const auto& s = sent[0].as_object();
  EXPECT_EQ(s.at("account").as_string(), h.acct().account_id);
  EXPECT_EQ(s.at("to").as_string(), user);
  EXPECT_EQ(s.at("text").as_string(), "hello");
  EXPECT_EQ(s.at("context_token").as_string(), token);
  EXPECT_EQ(s.at("client_id").as_string(), "openclaw-weixin:1-abcd");
  EXPECT_EQ(s.at("run_id").as_string(), "run-1");
  EXPECT_EQ(s.at("time_ms").as_int64(), h.clock_ms);
  EXPECT_EQ(h.control_json("GET", "/_fake/sent?account=other").at("sent").as_array().size(), 0u);
}

TEST_F(FakeIlinkSend, ContextTokenRules) {
  EXPECT_EQ(ret(send_body(user, "", "a")), -3);                     // missing
  EXPECT_EQ(ret(send_body(user, "AARzJWnope", "b")), -2);           // never issued
  EXPECT_EQ(ret(send_body("stranger@im.wechat", token, "c")), -3);  // unknown user
  h.clock_ms += 24LL * 3600 * 1000 + 1;
  EXPECT_EQ(ret(send_body(user, token, "d")), -2);  // expired
  h.control_json("POST", "/_fake/config", {{"missing_token_ret", 0}});
  EXPECT_EQ(ret(send_body(user, "", "e")), 0);
}

TEST_F(FakeIlinkSend, BudgetPerTokenAndTextLimit) {
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(ret(send_body(user, token, "n" + std::to_string(i))), 0) << i;
  EXPECT_EQ(ret(send_body(user, token, "over")), -2);
  // A new inbound message brings a fresh token and budget.
  const auto fresh = std::string(h.inject({{"text", "again"}}).at("context_token").as_string());
  EXPECT_NE(fresh, token);
  const auto long_text =
      json::object{{"type", 1}, {"text_item", {{"text", std::string(4001, 'x')}}}};
  const auto o = answer(h.bot("sendmessage", send_body(user, fresh, "long", long_text)));
  EXPECT_EQ(int_field(o, "ret"), -2);
  EXPECT_EQ(o.at("errmsg").as_string(), "prepare failed");
  // 4000 UTF-16 units of a 3-byte character fit (12000 bytes).
  std::string wide;
  for (int i = 0; i < 4000; ++i) wide += "\xe4\xbd\xa0";
  EXPECT_EQ(ret(send_body(user, fresh, "wide", {{"type", 1}, {"text_item", {{"text", wide}}}})), 0);
}

TEST_F(FakeIlinkSend, ProgressItemsAndDuplicateClientIds) {
  const json::object progress{
      {"type", 11}, {"tool_call_start_item", {{"tool_name", "t"}, {"tool_call_id", "1"}}}};
  h.control_json("POST", "/_fake/config",
                 {{"send_budget_per_token", 1}, {"progress_counts", false}});
  EXPECT_EQ(ret(send_body(user, token, "p1", progress)), 0);
  EXPECT_EQ(ret(send_body(user, token, "t1")), 0);
  EXPECT_EQ(ret(send_body(user, token, "t2")), -2);
  EXPECT_EQ(h.control_json("GET", "/_fake/sent").at("sent").at(0).at("item_type").as_int64(), 11);

  h.control_json("POST", "/_fake/config",
                 {{"send_budget_per_token", 0}, {"duplicate_client_id", "dedupe"}});
  const auto first = answer(h.bot("sendmessage", send_body(user, token, "same")));
  const auto again = answer(h.bot("sendmessage", send_body(user, token, "same")));
  EXPECT_EQ(first.at("message_id"), again.at("message_id"));
  h.control_json("POST", "/_fake/config", {{"duplicate_client_id", "reject"}});
  EXPECT_EQ(ret(send_body(user, token, "same")), -2);
  EXPECT_EQ(h.sent_count(), 3u);
}

TEST_F(FakeIlinkSend, MalformedSendsAreHttp400AndSuccessShapes) {
  auto body = send_body(user, token, "x");
  body["msg"].as_object()["message_type"] = 1;
  answer(h.bot("sendmessage", body), 400);
  body = send_body(user, token, "x");
  body["msg"].as_object().erase("item_list");
  answer(h.bot("sendmessage", body), 400);
  body = send_body(user, token, "x");
  body["msg"].as_object().erase("client_id");
  answer(h.bot("sendmessage", body), 400);
  answer(h.bot("sendmessage", {{"nomsg", 1}}), 400);

  h.control_json("POST", "/_fake/config", {{"send_success", "empty_object"}});
  EXPECT_EQ(h.bot("sendmessage", send_body(user, token, "e")).act.response.body, "{}");
  h.control_json("POST", "/_fake/config", {{"send_success", "ret_only"}});
  EXPECT_EQ(h.bot("sendmessage", send_body(user, token, "r")).act.response.body, R"({"ret":0})");
}

TEST(FakeIlinkTyping, ConfigTicketThenTyping) {
  harness h;
  const auto& user = h.acct().user_id;
  const auto cfg = answer(h.bot("getconfig", {{"ilink_user_id", user}, {"context_token", "t"}}));
  EXPECT_EQ(int_field(cfg, "ret"), 0);
  const std::string ticket(cfg.at("typing_ticket").as_string());
  EXPECT_TRUE(patchbay::common::base64_decode(ticket).has_value());
  EXPECT_EQ(answer(h.bot("getconfig", {{"ilink_user_id", user}})).at("typing_ticket").as_string(),
            ticket);
  EXPECT_EQ(
      int_field(answer(h.bot("sendtyping",
                             {{"ilink_user_id", user}, {"typing_ticket", ticket}, {"status", 1}})),
                "ret"),
      0);
  EXPECT_EQ(
      int_field(answer(h.bot("sendtyping",
                             {{"ilink_user_id", user}, {"typing_ticket", "no"}, {"status", 2}})),
                "ret"),
      -3);
  answer(h.bot("sendtyping", {{"ilink_user_id", user}, {"typing_ticket", ticket}, {"status", 3}}),
         400);
  answer(h.bot("getconfig", {}), 400);
}

kit::http_request qr_create_request() {
  auto r =
      make_request("POST", "/ilink/bot/get_bot_qrcode?bot_type=3", R"({"local_token_list":[]})");
  add_bot_headers(r, "");
  return r;
}

json::object qr_status(harness& h, const std::string& id, const std::string& extra = "") {
  auto r = make_request("GET", "/ilink/bot/get_qrcode_status?qrcode=" + id + extra);
  r.headers = {{"iLink-App-Id", "bot"}, {"iLink-App-ClientVersion", "132105"}};
  return answer(h.fake.handle(r));
}

TEST(FakeIlinkQr, WaitScanedConfirmed) {
  harness h;
  const auto created = answer(h.fake.handle(qr_create_request()));
  const std::string id(created.at("qrcode").as_string());
  EXPECT_NE(std::string(created.at("qrcode_img_content").as_string()).find(id), std::string::npos);
  EXPECT_EQ(qr_status(h, id).at("status").as_string(), "wait");
  EXPECT_EQ(h.control_json("POST", "/_fake/qrcode", {{"state", "scaned"}}).at("qrcode").as_string(),
            id);
  EXPECT_EQ(qr_status(h, id).at("status").as_string(), "scaned");
  const auto acct =
      h.control_json("POST", "/_fake/qrcode", {{"state", "confirmed"}}).at("account").as_object();
  const auto done = qr_status(h, id);
  EXPECT_EQ(done.at("status").as_string(), "confirmed");
  EXPECT_EQ(done.at("bot_token"), acct.at("bot_token"));
  EXPECT_EQ(done.at("ilink_bot_id"), acct.at("account_id"));
  EXPECT_EQ(done.at("ilink_user_id"), acct.at("user_id"));
  EXPECT_EQ(done.at("baseurl").as_string(), "http://127.0.0.1:9");
  // The new account works.
  const auto o = h.fake.handle(h.bot_request("getupdates", {{"get_updates_buf", ""}},
                                             std::string(acct.at("bot_token").as_string())));
  EXPECT_EQ(o.act.what, action::kind::park);
}

TEST(FakeIlinkQr, PendingStateVerifyCodeExpiryAndChecks) {
  harness h;
  EXPECT_TRUE(h.control_json("POST", "/_fake/qrcode", {{"state", "need_verifycode"}})
                  .at("pending")
                  .as_bool());
  const std::string id(answer(h.fake.handle(qr_create_request())).at("qrcode").as_string());
  EXPECT_EQ(qr_status(h, id).at("status").as_string(), "need_verifycode");
  EXPECT_EQ(qr_status(h, id, "&verify_code=000000").at("status").as_string(), "need_verifycode");
  EXPECT_EQ(qr_status(h, id, "&verify_code=123456").at("status").as_string(), "scaned");
  h.clock_ms += 5 * 60 * 1000 + 1;
  EXPECT_EQ(qr_status(h, id).at("status").as_string(), "expired");
  EXPECT_EQ(qr_status(h, "unknown").at("status").as_string(), "expired");

  const std::string id2(answer(h.fake.handle(qr_create_request())).at("qrcode").as_string());
  h.control_json("POST", "/_fake/qrcode",
                 {{"state", "scaned_but_redirect"}, {"redirect_host", "127.0.0.1:1"}});
  EXPECT_EQ(qr_status(h, id2).at("redirect_host").as_string(), "127.0.0.1:1");
  EXPECT_EQ(h.control("POST", "/_fake/qrcode", {{"state", "bogus"}}).act.response.status, 400u);

  auto bad = qr_create_request();
  bad.target = bad.path = "/ilink/bot/get_bot_qrcode";
  bad.query.clear();
  answer(h.fake.handle(bad), 400);  // bot_type missing
  auto no_uin = qr_create_request();
  std::erase_if(no_uin.headers, [](const auto& hd) { return hd.first == "X-WECHAT-UIN"; });
  answer(h.fake.handle(no_uin), 400);
}

TEST(FakeIlinkCdn, UploadChecksAndDownload) {
  harness h;
  const std::string plain = "the file content, 33 bytes long!!";
  const std::string key_hex = "00112233445566778899aabbccddeeff";
  const std::string key = *from_hex(key_hex);
  const std::string cipher = aes128_ecb_encrypt(plain, key);
  ASSERT_EQ(cipher.size(), 48u);
  EXPECT_EQ(aes128_ecb_decrypt(cipher, key).value_or(""), plain);
  json::object req{{"filekey", "0123456789abcdef0123456789abcdef"},
                   {"media_type", 3},
                   {"to_user_id", h.acct().user_id},
                   {"rawsize", plain.size()},
                   {"rawfilemd5", md5_hex(plain)},
                   {"filesize", cipher.size()},
                   {"no_need_thumb", true},
                   {"aeskey", key_hex}};
  const auto url = answer(h.bot("getuploadurl", req));
  const std::string full(url.at("upload_full_url").as_string());
  const std::string target = full.substr(full.find("/c2c/"));

  auto wrong = make_request("POST", target, cipher.substr(0, 32));
  EXPECT_EQ(h.fake.handle(wrong).act.response.status, 400u);  // size differs from filesize
  const auto up = h.fake.handle(make_request("POST", target, cipher)).act.response;
  ASSERT_EQ(up.status, 200u);
  const auto param = kit::find_header(up.headers, "x-encrypted-param");
  ASSERT_FALSE(param.empty());
  EXPECT_EQ(h.fake.handle(make_request("POST", target, cipher)).act.response.status,
            400u);  // used up
  const auto down = h.fake.handle(
      make_request("GET", "/c2c/download?encrypted_query_param=" + std::string(param)));
  EXPECT_EQ(down.act.response.body, cipher);

  req["filesize"] = 32;
  answer(h.bot("getuploadurl", req), 400);

  const auto staged = h.control_json("POST", "/_fake/media",
                                     {{"data_base64", patchbay::common::base64_encode(plain)}});
  const auto got = h.fake.handle(
      make_request("GET", "/c2c/download?encrypted_query_param=" +
                              std::string(staged.at("encrypt_query_param").as_string())));
  const auto k = *from_hex(std::string(staged.at("aeskey").as_string()));
  EXPECT_EQ(aes128_ecb_decrypt(got.act.response.body, k).value_or(""), plain);
}

TEST(FakeIlinkControl, AccountsInjectChecksAndUnknownPaths) {
  harness h;
  const auto added =
      h.control_json("POST", "/_fake/accounts", {{"count", 2}}).at("accounts").as_array();
  ASSERT_EQ(added.size(), 2u);
  EXPECT_NE(added[0].at("account_id"), added[1].at("account_id"));
  EXPECT_EQ(h.control("POST", "/_fake/inject", {{"text", "who?"}}).act.response.status,
            400u);  // 3 accounts
  const auto ok = h.control_json("POST", "/_fake/inject",
                                 {{"account", added[1].at("account_id")},
                                  {"from", "friend@im.wechat"},
                                  {"text", "hi"},
                                  {"message_id", 9223372036854775807LL},
                                  {"context_token", "mytoken"}});
  EXPECT_EQ(ok.at("message_id").as_int64(), 9223372036854775807LL);
  EXPECT_EQ(ok.at("context_token").as_string(), "mytoken");
  EXPECT_EQ(h.control("POST", "/_fake/inject", {{"account", "nobody@im.bot"}}).act.response.status,
            400u);
  EXPECT_EQ(h.control("POST", "/_fake/nothing").act.response.status, 404u);
  EXPECT_EQ(h.control("POST", "/_fake/config", {{"hold_ms", "soon"}}).act.response.status, 400u);
  answer(h.fake.handle(h.bot_request("unknown", {}, h.acct().bot_token)), 404);
}

}  // namespace
}  // namespace fakes_ilink_test
