// decide_event: which events become host messages, which are acknowledged and dropped, and when
// a group message must wait for the bot identity (feishu_channel/inbound.hpp).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "feishu_lark/channel/inbound.hpp"

namespace {
namespace fam = patchbay::plugins::feishu_family;
namespace json = boost::json;

constexpr const char* kBot = "ou_bot";

std::string v2(const std::string& event_type, const std::string& chat_type,
               const std::string& message_type, const std::string& content,
               const std::string& sender = "ou_sender", bool mention_bot = false) {
  json::object msg{{"message_id", "om_1"},   {"chat_id", "oc_chat"},
                   {"chat_type", chat_type}, {"message_type", message_type},
                   {"content", content},     {"create_time", "1700000000123"}};
  if (mention_bot)
    msg["mentions"] = json::array{json::object{
        {"key", "@_user_1"}, {"id", json::object{{"open_id", kBot}}}, {"name", "Bot"}}};
  json::object root{
      {"schema", "2.0"},
      {"header", json::object{{"event_id", "ev1"}, {"event_type", event_type}, {"token", ""}}},
      {"event",
       json::object{{"sender", json::object{{"sender_id", json::object{{"open_id", sender}}},
                                            {"sender_type", "user"}}},
                    {"message", std::move(msg)}}}};
  return json::serialize(root);
}

fam::event_decision decide(const std::string& j, const std::string& bot = kBot,
                           bool require_mention = true) {
  std::string error;
  auto env = fam::parse_envelope(j, &error);
  EXPECT_TRUE(env) << error;
  if (!env) return {};
  return fam::decide_event(*env, bot, require_mention);
}

TEST(FeishuInbound, DirectTextIsEmitted) {
  auto d = decide(v2("im.message.receive_v1", "p2p", "text", R"({"text":"hi"})"));
  ASSERT_EQ(d.action, fam::event_action::emit) << d.reason;
  EXPECT_EQ(d.msg->message_id, "om_1");
  EXPECT_EQ(d.msg->text, "hi");
}

TEST(FeishuInbound, GroupMessagesNeedTheBotMention) {
  auto plain = decide(v2("im.message.receive_v1", "group", "text", R"({"text":"hi all"})"));
  EXPECT_EQ(plain.action, fam::event_action::ignore);
  EXPECT_NE(plain.reason.find("mention"), std::string::npos);

  auto mentioned = decide(
      v2("im.message.receive_v1", "group", "text", R"({"text":"@_user_1 hi"})", "ou_sender", true));
  ASSERT_EQ(mentioned.action, fam::event_action::emit) << mentioned.reason;
  EXPECT_EQ(mentioned.msg->text, "hi");  // the bot's own mention is stripped
  ASSERT_EQ(mentioned.msg->mentions.size(), 1u);
  EXPECT_TRUE(mentioned.msg->mentions[0].is_bot);

  // Policy off: every group message goes through.
  auto all = decide(v2("im.message.receive_v1", "group", "text", R"({"text":"hi"})"), kBot, false);
  EXPECT_EQ(all.action, fam::event_action::emit);
}

TEST(FeishuInbound, GroupMessageBeforeTheIdentityIsKnownWaitsForARepush) {
  auto d = decide(
      v2("im.message.receive_v1", "group", "text", R"({"text":"@_user_1 hi"})", "ou_sender", true),
      "");
  EXPECT_EQ(d.action, fam::event_action::need_identity);
  // A direct message does not need it.
  auto p2p = decide(v2("im.message.receive_v1", "p2p", "text", R"({"text":"hi"})"), "");
  EXPECT_EQ(p2p.action, fam::event_action::emit);
}

// Every message kind reaches the host (media-in answers or attaches): files as attachments with
// an empty text, unknown kinds as empty text. Nothing is dropped by the parser.
TEST(FeishuInbound, EveryMessageKindIsEmitted) {
  struct kind_case {
    const char* type;
    const char* content;
    const char* kind;  // "" = no attachment
    const char* id;
  };
  const kind_case cases[] = {
      {"image", R"({"image_key":"img_v3_1"})", "image", "image:img_v3_1"},
      {"file", R"({"file_key":"file_v3_1","file_name":"a.pdf"})", "file", "file:file_v3_1"},
      {"audio", R"({"file_key":"file_v3_2","duration":2000})", "audio", "file:file_v3_2"},
      {"media", R"({"file_key":"file_v3_3","image_key":"img_c","file_name":"v.mp4"})", "video",
       "file:file_v3_3"},
      {"sticker", R"({"file_key":"file_v3_4"})", "sticker", "file:file_v3_4"},
      {"share_chat", R"({"chat_id":"oc_x"})", "", ""},
      {"location", R"({"name":"here"})", "", ""},
      {"merge_forward", R"({"content":"Merged and Forwarded Message"})", "", ""},
      {"system", "not json at all", "", ""},
  };
  for (const auto& c : cases) {
    auto d = decide(v2("im.message.receive_v1", "p2p", c.type, c.content));
    ASSERT_EQ(d.action, fam::event_action::emit) << c.type << ": " << d.reason;
    EXPECT_EQ(d.msg->message_type, c.type);
    EXPECT_EQ(d.msg->text, "") << c.type;
    if (*c.kind == '\0') {
      EXPECT_TRUE(d.msg->attachments.empty()) << c.type;
      continue;
    }
    ASSERT_EQ(d.msg->attachments.size(), 1u) << c.type;
    EXPECT_EQ(d.msg->attachments[0].kind, c.kind);
    EXPECT_EQ(d.msg->attachments[0].id, c.id);
  }
}

TEST(FeishuInbound, OtherEventsAndOwnMessagesAreAcknowledgedNotActedOn) {
  EXPECT_EQ(decide(v2("im.chat.member.bot.added_v1", "p2p", "text", "{}")).action,
            fam::event_action::ignore);
  EXPECT_EQ(decide(v2("im.message.receive_v1", "p2p", "text", R"({"text":"echo"})", kBot)).action,
            fam::event_action::ignore);  // the bot's own message
  EXPECT_EQ(decide(v2("card.action.trigger", "p2p", "text", "{}")).action, fam::event_action::card);
}

TEST(FeishuInbound, PostContentIsFlattened) {
  auto d = decide(v2("im.message.receive_v1", "p2p", "post",
                     R"({"title":"T","content":[[{"tag":"text","text":"line"}]]})"));
  ASSERT_EQ(d.action, fam::event_action::emit) << d.reason;
  EXPECT_NE(d.msg->text.find("line"), std::string::npos);
}

TEST(FeishuInbound, V1MessageEventIsEmitted) {
  json::object root{{"ts", "1700000000.1"},
                    {"uuid", "u-1"},
                    {"token", ""},
                    {"type", "event_callback"},
                    {"event", json::object{{"type", "message"},
                                           {"open_chat_id", "oc_chat"},
                                           {"chat_type", "private"},
                                           {"msg_type", "text"},
                                           {"open_id", "ou_sender"},
                                           {"open_message_id", "om_v1"},
                                           {"text", "hello"},
                                           {"text_without_at_bot", "hello"}}}};
  auto d = decide(json::serialize(root));
  ASSERT_EQ(d.action, fam::event_action::emit) << d.reason;
  EXPECT_EQ(d.msg->message_id, "om_v1");
  EXPECT_EQ(d.msg->chat, fam::chat_kind::p2p);
}

}  // namespace
