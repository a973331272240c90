// Callback bodies → normalized inbound: chat identity, DM vs group (raw data over the route's
// type), unreadable, ignored and malformed content.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "nyxid/proto/callback_body.hpp"

namespace {

namespace nyx = patchbay::plugins::nyxid;
namespace json = boost::json;
using status = nyx::callback_inbound::status;

json::object base(const char* platform = "lark") {
  return json::object{
      {"message_id", "m-1"},
      {"correlation_id", "c-1"},
      {"platform", platform},
      {"reply_token", "eyJ.secret.token"},
      {"agent", {{"api_key_id", "k-1"}, {"name", "bot"}}},
      {"conversation", {{"id", "route-1"}, {"platform_id", "oc_chat"}, {"type", "private"}}},
      {"sender", {{"platform_id", "ou_1"}, {"display_name", "Ann"}}},
      {"content", {{"type", "text"}, {"text", "hi there"}}},
      {"thread_id", "t-1"},
      {"reply_to_platform_message_id", "om_parent"},
      {"timestamp", "2026-06-01T00:00:00Z"}};
}

nyx::callback_inbound parse(const json::object& o, nyx::callback_body_options opt = {}) {
  return nyx::parse_callback_body(json::serialize(o), opt);
}

TEST(callback_body, text_message_fields) {
  auto b = base();
  b["raw_platform_data"] = {
      {"header", {{"tenant_key", "tk-1"}}},
      {"event",
       {{"message", {{"message_id", "om_1"}, {"chat_id", "oc_chat"}, {"chat_type", "p2p"}}}}}};
  auto in = parse(b);
  ASSERT_EQ(in.result, status::message) << in.reason;
  EXPECT_EQ(in.message_id, "m-1");
  EXPECT_EQ(in.correlation_id, "c-1");
  EXPECT_EQ(in.platform, "lark");
  EXPECT_EQ(in.api_key_id, "k-1");
  EXPECT_EQ(in.agent_name, "bot");
  EXPECT_EQ(in.chat_id, "oc_chat");
  EXPECT_EQ(in.route_id, "route-1");
  EXPECT_EQ(in.sender_id, "ou_1");
  EXPECT_EQ(in.sender_name, "Ann");
  EXPECT_EQ(in.text, "hi there");
  EXPECT_EQ(in.reply_token, "eyJ.secret.token");
  EXPECT_EQ(in.thread_id, "t-1");
  EXPECT_EQ(in.reply_to_platform_message_id, "om_parent");
  EXPECT_EQ(in.platform_message_id, "om_1");
  EXPECT_EQ(in.tenant_key, "tk-1");
  EXPECT_EQ(in.kind, nyx::chat_kind::dm);
  EXPECT_TRUE(in.kind_from_raw);
}

TEST(callback_body, group_detected_from_raw_despite_private_route) {
  auto b = base("Feishu");
  b["raw_platform_data"] = {{"event", {{"message", {{"chat_type", "group"}}}}}};
  auto in = parse(b);
  EXPECT_EQ(in.platform, "feishu");
  EXPECT_EQ(in.kind, nyx::chat_kind::group);
  EXPECT_EQ(in.route_type, "private");
}

TEST(callback_body, route_type_is_trusted_only_for_groups) {
  auto b = base();
  EXPECT_EQ(parse(b).kind, nyx::chat_kind::unknown);  // default route: private proves nothing
  nyx::callback_body_options trust;
  trust.trust_route_private = true;
  EXPECT_EQ(parse(b, trust).kind, nyx::chat_kind::dm);
  b["conversation"].as_object()["type"] = "group";
  EXPECT_EQ(parse(b).kind, nyx::chat_kind::group);
  b["conversation"].as_object()["type"] = "channel";
  EXPECT_EQ(parse(b).kind, nyx::chat_kind::group);
}

TEST(callback_body, other_platforms_raw_data) {
  auto t = base("telegram");
  t["raw_platform_data"] = {{"message", {{"chat", {{"type", "private"}}}}}};
  EXPECT_EQ(parse(t).kind, nyx::chat_kind::dm);
  t["raw_platform_data"] = {{"message", {{"chat", {{"type", "supergroup"}}}}}};
  EXPECT_EQ(parse(t).kind, nyx::chat_kind::group);
  auto s = base("slack");
  s["raw_platform_data"] = {{"event", {{"channel_type", "im"}}}};
  EXPECT_EQ(parse(s).kind, nyx::chat_kind::dm);
  s["raw_platform_data"] = {{"event", {{"channel_type", "channel"}}}};
  EXPECT_EQ(parse(s).kind, nyx::chat_kind::group);
  auto d = base("discord");
  d["raw_platform_data"] = {{"channel_id", "1"}, {"guild_id", "2"}};
  EXPECT_EQ(parse(d).kind, nyx::chat_kind::group);
  d["raw_platform_data"] = {{"channel_id", "1"}};
  EXPECT_EQ(parse(d).kind, nyx::chat_kind::dm);
  // Raw data of one platform's shape under another platform's name decides nothing.
  auto x = base("telegram");
  x["raw_platform_data"] = {{"event", {{"message", {{"chat_type", "p2p"}}}}}};
  EXPECT_EQ(parse(x).kind, nyx::chat_kind::unknown);
}

TEST(callback_body, attachments_make_a_message) {
  auto b = base();
  b["content"] = {
      {"type", "image"},
      {"attachments", json::array{{{"content_type", "image"},
                                   {"url", "https://relay.example/media/1"},
                                   {"image_key", "img_v3_1"},
                                   {"mime_type", "image/png"},
                                   {"size_bytes", 2048}},
                                  {{"content_type", "application/pdf"},
                                   {"url", "https://relay.example/media/2"},
                                   {"filename", "a.pdf"}},
                                  {{"content_type", "image"}}}}};  // neither url nor key: skipped
  auto in = parse(b);
  EXPECT_EQ(in.result, status::message);
  EXPECT_EQ(in.text, "");
  ASSERT_EQ(in.attachments.size(), 2u);
  EXPECT_EQ(in.attachments[0].kind, "image");
  EXPECT_EQ(in.attachments[0].id, "img_v3_1");
  EXPECT_EQ(in.attachments[0].url, "https://relay.example/media/1");
  EXPECT_EQ(in.attachments[0].mime_type, "image/png");
  EXPECT_EQ(in.attachments[0].size, 2048u);
  EXPECT_EQ(in.attachments[1].kind, "image");  // content.type names the kind
  EXPECT_EQ(in.attachments[1].id, "https://relay.example/media/2");
  EXPECT_EQ(in.attachments[1].mime_type, "application/pdf");
  EXPECT_EQ(in.attachments[1].name, "a.pdf");
  // Text with a file: both.
  b["content"] = {{"type", "text"},
                  {"text", "see file"},
                  {"attachments", json::array{{{"content_type", "file"}, {"file_key", "f1"}}}}};
  in = parse(b);
  EXPECT_EQ(in.result, status::message);
  EXPECT_EQ(in.text, "see file");
  ASSERT_EQ(in.attachments.size(), 1u);
  EXPECT_EQ(in.attachments[0].kind, "file");
}

TEST(callback_body, unreadable_content_is_a_message_without_text_and_card_actions_are_ignored) {
  // Every message gets an outcome: nothing readable → a message with empty text (the host answers
  // it); only a card_action (a button click) is ignored.
  auto b = base();
  b["content"] = {{"type", "image"}, {"attachments", json::array{{{"content_type", "image"}}}}};
  auto in = parse(b);
  EXPECT_EQ(in.result, status::message);
  EXPECT_TRUE(in.text.empty());
  EXPECT_TRUE(in.attachments.empty());
  EXPECT_EQ(in.reason, "unsupported content type");
  b["content"] = {{"type", "text"}, {"text", "  \n\t "}};
  in = parse(b);
  EXPECT_EQ(in.result, status::message);
  EXPECT_TRUE(in.text.empty());
  b["content"] = {{"type", "text"}};
  EXPECT_EQ(parse(b).result, status::message);
  EXPECT_EQ(parse(b).reason, "empty text");
  b["content"] = {{"type", "location"}, {"text", "somewhere"}};
  in = parse(b);
  EXPECT_EQ(in.result, status::message);
  EXPECT_TRUE(in.text.empty());
  b["content"] = {{"type", "card_action"}, {"text", R"({"tag":"button","value":{}})"}};
  in = parse(b);
  EXPECT_EQ(in.result, status::ignored);
  EXPECT_EQ(in.reason, "card action");
  EXPECT_TRUE(in.text.empty());
  // Ignored messages still carry their ids (the plugin answers 202 ignored, logs the id).
  EXPECT_EQ(in.message_id, "m-1");
  b.erase("content");
  in = parse(b);
  EXPECT_EQ(in.result, status::message);
  EXPECT_EQ(in.reason, "no content type");
  EXPECT_TRUE(in.text.empty());
  b = base();
  nyx::callback_body_options small;
  small.max_text_bytes = 3;
  EXPECT_EQ(parse(b, small).reason, "text too large");
}

TEST(callback_body, malformed_bodies) {
  EXPECT_EQ(nyx::parse_callback_body("not json").result, status::malformed);
  EXPECT_EQ(nyx::parse_callback_body("[]").result, status::malformed);
  auto b = base();
  b.erase("message_id");
  b["sender"].as_object().erase("platform_id");
  auto in = parse(b);
  EXPECT_EQ(in.result, status::malformed);
  EXPECT_EQ(in.reason, "missing message_id, sender.platform_id");
  b = base();
  b["conversation"].as_object()["platform_id"] = 42;
  EXPECT_EQ(parse(b).reason, "missing conversation.platform_id");
  b = base();
  b.erase("reply_token");
  in = parse(b);
  EXPECT_EQ(in.result, status::message);
  EXPECT_TRUE(in.reply_token.empty());
  // A reason never carries the token.
  b = base();
  b.erase("platform");
  in = parse(b);
  EXPECT_EQ(in.reason.find("eyJ"), std::string::npos);
}

}  // namespace
