// iLink protocol logic without sockets: headers, bodies, response parsing (64-bit ids never
// through a double), error classification, QR answers.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <boost/json.hpp>

#include "weixin/proto/ilink_protocol.hpp"

namespace {
namespace json = boost::json;
using namespace patchbay::weixin;

client_identity ident() {
  client_identity id;
  id.channel_version = "2.4.9";
  id.bot_agent = "patchbay/0.1.0";
  return id;
}

std::string header(const header_list& h, const std::string& name) {
  for (const auto& [k, v] : h)
    if (k == name) return v;
  return "<absent>";
}

std::string unbase64(const std::string& in) {
  std::string out(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '\0') out.pop_back();  // padding
  return out;
}

TEST(IlinkProtocol, ClientVersionPacksSemver) {
  EXPECT_EQ(pack_client_version("2.4.3"), 132099u);
  EXPECT_EQ(pack_client_version("2.4.9"), 132105u);
  EXPECT_EQ(pack_client_version("1.0.11"), 65547u);
  EXPECT_EQ(pack_client_version("0.1.0"), 256u);
  EXPECT_EQ(pack_client_version("x"), 0u);
}

TEST(IlinkProtocol, PostHeadersCarryAuthAndARandomUin) {
  auto id = ident();
  id.route_tag = "42";
  auto h = post_headers(id, "tok-123", 12345);
  EXPECT_EQ(header(h, "Content-Type"), "application/json");
  EXPECT_EQ(header(h, "AuthorizationType"), "ilink_bot_token");
  EXPECT_EQ(header(h, "Authorization"), "Bearer tok-123");
  EXPECT_EQ(header(h, "X-WECHAT-UIN"), "MTIzNDU=");  // base64("12345"), the note's example
  EXPECT_EQ(unbase64(header(post_headers(id, "t", 4294967295u), "X-WECHAT-UIN")), "4294967295");
  EXPECT_EQ(header(h, "iLink-App-Id"), "bot");
  EXPECT_EQ(header(h, "iLink-App-ClientVersion"), "132105");
  EXPECT_EQ(header(h, "SKRouteTag"), "42");
  // No token (QR create): no Authorization header at all.
  EXPECT_EQ(header(post_headers(ident(), "", 1), "Authorization"), "<absent>");
  // The QR status GET carries only the common headers.
  auto g = get_headers(ident());
  EXPECT_EQ(header(g, "AuthorizationType"), "<absent>");
  EXPECT_EQ(header(g, "X-WECHAT-UIN"), "<absent>");
  EXPECT_EQ(header(g, "iLink-App-Id"), "bot");
}

TEST(IlinkProtocol, BodiesCarryBaseInfo) {
  auto gu = json::parse(getupdates_body(ident(), "CURSOR==")).as_object();
  EXPECT_EQ(gu.at("get_updates_buf").as_string(), "CURSOR==");
  EXPECT_EQ(gu.at("base_info").at("channel_version").as_string(), "2.4.9");
  EXPECT_EQ(gu.at("base_info").at("bot_agent").as_string(), "patchbay/0.1.0");
  EXPECT_TRUE(json::parse(notify_body(ident())).as_object().contains("base_info"));

  auto sm = json::parse(sendmessage_body(ident(), "u1@im.wechat", "hi 你好", "ctx-1", "cid-1"))
                .as_object();
  const auto& msg = sm.at("msg").as_object();
  EXPECT_EQ(msg.at("from_user_id").as_string(), "");
  EXPECT_EQ(msg.at("to_user_id").as_string(), "u1@im.wechat");
  EXPECT_EQ(msg.at("client_id").as_string(), "cid-1");
  EXPECT_EQ(msg.at("message_type").as_int64(), 2);
  EXPECT_EQ(msg.at("message_state").as_int64(), 2);
  EXPECT_EQ(msg.at("context_token").as_string(), "ctx-1");
  const auto& items = msg.at("item_list").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("type").as_int64(), 1);
  EXPECT_EQ(items[0].at("text_item").at("text").as_string(), "hi 你好");
  EXPECT_TRUE(sm.contains("base_info"));
  // No token → the field is left out, not sent empty.
  auto no_tok = json::parse(sendmessage_body(ident(), "u", "x", "", "c")).as_object();
  EXPECT_FALSE(no_tok.at("msg").as_object().contains("context_token"));

  auto gc = json::parse(getconfig_body(ident(), "u1", "ctx")).as_object();
  EXPECT_EQ(gc.at("ilink_user_id").as_string(), "u1");
  EXPECT_EQ(gc.at("context_token").as_string(), "ctx");
  auto st = json::parse(sendtyping_body(ident(), "u1", "tk", 1)).as_object();
  EXPECT_EQ(st.at("typing_ticket").as_string(), "tk");
  EXPECT_EQ(st.at("status").as_int64(), 1);
  auto qr = json::parse(get_bot_qrcode_body({})).as_object();
  EXPECT_TRUE(qr.at("local_token_list").as_array().empty());
  EXPECT_FALSE(qr.contains("base_info"));
}

TEST(IlinkProtocol, ClientIdsAreUniqueAndFormatted) {
  EXPECT_EQ(make_client_id(1700000000123, 0xabcdef01), "patchbay-weixin:1700000000123-abcdef01");
  EXPECT_NE(make_client_id(1, 1), make_client_id(1, 2));
  // Stable per (turn, text): a resend after a restart carries the same client_id.
  EXPECT_EQ(make_stable_client_id("wx:ev1", "part 1"), make_stable_client_id("wx:ev1", "part 1"));
  EXPECT_NE(make_stable_client_id("wx:ev1", "part 1"), make_stable_client_id("wx:ev1", "part 2"));
  EXPECT_NE(make_stable_client_id("wx:ev1", "part 1"), make_stable_client_id("wx:ev2", "part 1"));
  EXPECT_EQ(make_stable_client_id("a", "b").rfind("patchbay-weixin:t-", 0), 0u);
  EXPECT_LE(make_stable_client_id("a", "b").size(), 64u);
}

TEST(IlinkProtocol, GetUpdatesKeepsSixtyFourBitIdsExact) {
  // 2^53 + 1 cannot be represented by a double; 2^64 - 1 needs uint64.
  std::string body = R"({"ret":0,"get_updates_buf":"C2","longpolling_timeout_ms":30000,"msgs":[
    {"message_id":9007199254740993,"from_user_id":"a@im.wechat","to_user_id":"b@im.bot",
     "context_token":"T1","create_time_ms":1700000000000,"message_type":1,
     "item_list":[{"type":1,"text_item":{"text":"hello"}}]},
    {"message_id":18446744073709551615,"from_user_id":"a@im.wechat","item_list":[
     {"type":3,"voice_item":{"text":"spoken words"}}]},
    {"message_id":"12345678901234567890","from_user_id":"c@im.wechat",
     "item_list":[{"type":2,"image_item":{}}]},
    {"from_user_id":"d@im.wechat","item_list":[{"type":1,"msg_id":9007199254740995,
     "text_item":{"text":"fallback id"}}]},
    {"message_id":1,"item_list":[]}
  ]})";
  std::string err;
  auto r = parse_getupdates(body, err);
  ASSERT_TRUE(r) << err;
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->cursor, "C2");
  EXPECT_EQ(r->longpolling_timeout_ms, 30000);
  ASSERT_EQ(r->msgs.size(), 4u);  // the one without a sender is dropped
  EXPECT_EQ(r->msgs[0].message_id, "9007199254740993");
  EXPECT_EQ(r->msgs[0].dedup_key, "9007199254740993");
  EXPECT_EQ(r->msgs[0].text, "hello");
  EXPECT_EQ(r->msgs[0].context_token, "T1");
  EXPECT_EQ(r->msgs[0].create_time_ms, 1700000000000);
  EXPECT_NE(r->msgs[0].raw_json.find("9007199254740993"), std::string::npos);
  EXPECT_EQ(r->msgs[1].message_id, "18446744073709551615");
  EXPECT_EQ(r->msgs[1].text, "spoken words");
  EXPECT_EQ(r->msgs[2].message_id, "12345678901234567890");
  // A media item is an attachment, not placeholder text (an image without media: nothing to
  // download, still reported).
  EXPECT_EQ(r->msgs[2].text, "");
  ASSERT_EQ(r->msgs[2].attachments.size(), 1u);
  EXPECT_EQ(r->msgs[2].attachments[0].kind, "image");
  EXPECT_EQ(r->msgs[2].attachments[0].id, "");
  ASSERT_EQ(r->msgs[1].attachments.size(), 1u);  // the voice item: a file, transcription as text
  EXPECT_EQ(r->msgs[1].attachments[0].kind, "file");
  EXPECT_EQ(r->msgs[1].attachments[0].mime_type, "audio/silk");
  EXPECT_EQ(r->msgs[3].message_id, "9007199254740995");
  EXPECT_EQ(r->msgs[3].text, "fallback id");
}

TEST(IlinkProtocol, DedupKeyWithoutMessageIdIsStable) {
  std::string body = R"({"ret":0,"msgs":[
    {"from_user_id":"a","client_id":"c-1","item_list":[{"type":1,"text_item":{"text":"x"}}]},
    {"from_user_id":"a","seq":7,"item_list":[{"type":1,"text_item":{"text":"x"}}]},
    {"from_user_id":"a","create_time_ms":5,"item_list":[{"type":1,"text_item":{"text":"x"}}]}]})";
  std::string err;
  auto a = parse_getupdates(body, err);
  auto b = parse_getupdates(body, err);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->msgs[0].dedup_key, "cid:c-1");
  EXPECT_EQ(a->msgs[1].dedup_key, "seq:7");
  EXPECT_EQ(a->msgs[2].dedup_key.rfind("digest:", 0), 0u);
  EXPECT_EQ(a->msgs[2].dedup_key, b->msgs[2].dedup_key);
}

TEST(IlinkProtocol, SessionExpiryIsSeenInEitherField) {
  std::string err;
  auto e = parse_getupdates(R"({"errcode":-14,"errmsg":"session timeout"})", err);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->status.session_expired());
  EXPECT_FALSE(e->status.has_ret);
  EXPECT_FALSE(e->status.ok());
  auto r = parse_getupdates(R"({"ret":-14})", err);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->status.session_expired());
  auto other = parse_getupdates(R"({"ret":-1,"errcode":0})", err);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->status.session_expired());
  EXPECT_FALSE(other->status.ok());
  EXPECT_FALSE(parse_getupdates("", err));
  EXPECT_FALSE(parse_getupdates("<html>524</html>", err));
  EXPECT_FALSE(parse_getupdates("[1,2]", err));
}

TEST(IlinkProtocol, SendAnswersAreClassified) {
  generic_response out;
  // Success shapes seen in the wild.
  EXPECT_FALSE(classify_rest("sendmessage", "", 200, "{}", out));
  EXPECT_FALSE(classify_rest("sendmessage", "", 200, R"({"ret":0,"errmsg":""})", out));
  EXPECT_FALSE(
      classify_rest("sendmessage", "", 200, R"({"ret":0,"message_id":9007199254740993})", out));
  EXPECT_EQ(out.message_id, "9007199254740993");

  auto c = classify_rest("sendmessage", "", 200, "", out);  // empty body: not delivered
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_RETRYABLE);
  c = classify_rest("sendmessage", "", 200, "not json", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_RETRYABLE);
  // errcode -14 without ret: released 2.4.9 counts it as sent; we do not.
  c = classify_rest("sendmessage", "", 200, R"({"errcode":-14,"errmsg":"session timeout"})", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_AUTH);
  EXPECT_NE(c->message.find("-14"), std::string::npos);
  c = classify_rest("sendmessage", "", 200, R"({"ret":-3,"errmsg":"invalid arguments"})", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_INVALID_INPUT);
  c = classify_rest("sendmessage", "", 200, R"({"ret":-2})", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_REJECTED);
  c = classify_rest("sendmessage", "", 200, R"({"ret":-2,"errmsg":"prepare failed"})", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_REJECTED);
  EXPECT_NE(c->message.find("prepare failed"), std::string::npos);
  c = classify_rest("sendmessage", "", 200, R"({"ret":-2,"errmsg":"freq limit"})", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_RATE_LIMITED);
  EXPECT_GT(c->retry_after_ms, 0);
  c = classify_rest("sendmessage", "", 500, "{}", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_RETRYABLE);
  c = classify_rest("sendmessage", "", 429, "{}", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_RATE_LIMITED);
  c = classify_rest("sendmessage", "", 403, "{}", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_AUTH);
  c = classify_rest("sendmessage", "connection refused", 0, "", out);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->code, PB_ERR_RETRYABLE);
  EXPECT_EQ(c->message, "sendmessage: connection refused");
}

TEST(IlinkProtocol, QrAnswers) {
  std::string err;
  auto q = parse_qrcode(R"({"qrcode":"q1","qrcode_img_content":"https://x/y?q=1"})", err);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->qrcode, "q1");
  EXPECT_EQ(q->img_content, "https://x/y?q=1");
  EXPECT_FALSE(parse_qrcode(R"({"ret":-1})", err));
  EXPECT_EQ(parse_qr_status("garbage").status, "wait");
  EXPECT_EQ(parse_qr_status(R"({"status":"brand_new_state"})").status, "wait");
  EXPECT_EQ(parse_qr_status(R"({"status":"scaned"})").status, "scaned");
  auto c = parse_qr_status(
      R"({"status":"confirmed","bot_token":"bt","ilink_bot_id":"0123456789ab@im.bot",
      "baseurl":"http://127.0.0.1:1","ilink_user_id":"u@im.wechat"})");
  EXPECT_EQ(c.status, "confirmed");
  EXPECT_EQ(c.bot_token, "bt");
  EXPECT_EQ(c.bot_id, "0123456789ab@im.bot");
  EXPECT_EQ(c.base_url, "http://127.0.0.1:1");
  EXPECT_EQ(c.user_id, "u@im.wechat");
  EXPECT_EQ(url_encode("a b/c=d&é"), "a%20b%2Fc%3Dd%26%C3%A9");
  EXPECT_EQ(normalize_base_url("http://h:1//"), "http://h:1/");
  EXPECT_EQ(normalize_base_url("http://h:1"), "http://h:1/");
}

}  // namespace
