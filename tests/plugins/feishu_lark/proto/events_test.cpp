// Event envelopes and normalization: im.message.receive_v1 (text, post, mentions), the v1
// `message` event, card.action.trigger, url_verification.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "feishu_lark/proto/events.hpp"

namespace fam = patchbay::plugins::feishu_family;
namespace json = boost::json;

namespace {

constexpr const char* kBot = "ou_bot";

// A v2 im.message.receive_v1 as the note's §4.1 shows it, with `content` and `mentions` given.
std::string receive(const std::string& chat_type, const std::string& message_type,
                    const std::string& content, json::array mentions = {}) {
  json::object msg{{"message_id", "om_1"},           {"root_id", "om_root"},
                   {"parent_id", "om_parent"},       {"create_time", "1700000000123"},
                   {"update_time", "1700000000123"}, {"chat_id", "oc_chat"},
                   {"thread_id", "omt_1"},           {"chat_type", chat_type},
                   {"message_type", message_type},   {"content", content}};
  if (!mentions.empty()) msg["mentions"] = std::move(mentions);
  json::object root{
      {"schema", "2.0"},
      {"header", json::object{{"event_id", "5e3702a84e847582be8db7fb73283c02"},
                              {"event_type", "im.message.receive_v1"},
                              {"create_time", "1700000000200"},
                              {"token", ""},
                              {"app_id", "cli_0123456789abcdef"},
                              {"tenant_key", "tk"}}},
      {"event",
       json::object{{"sender", json::object{{"sender_id", json::object{{"union_id", "on_u"},
                                                                       {"user_id", "uid"},
                                                                       {"open_id", "ou_sender"}}},
                                            {"sender_type", "user"},
                                            {"tenant_key", "tk"}}},
                    {"message", std::move(msg)}}}};
  return json::serialize(root);
}

json::object mention(const char* key, const char* open_id, const char* name) {
  return json::object{
      {"key", key},
      {"id", json::object{{"union_id", "on_x"}, {"user_id", "u"}, {"open_id", open_id}}},
      {"name", name},
      {"tenant_key", "tk"}};
}

fam::inbound_message parse(const std::string& j, fam::message_options opt = {kBot, true}) {
  std::string error;
  auto env = fam::parse_envelope(j, &error);
  EXPECT_TRUE(env) << error;
  if (!env) return {};
  auto m = fam::parse_message_event(*env, opt, &error);
  EXPECT_TRUE(m) << error;
  return m.value_or(fam::inbound_message{});
}

}  // namespace

TEST(Events, V2TextMessageIsNormalized) {
  const auto m = parse(receive("p2p", "text", R"({"text":"hello\nworld"})"));
  EXPECT_EQ(m.event_id, "5e3702a84e847582be8db7fb73283c02");
  EXPECT_EQ(m.message_id, "om_1");
  EXPECT_EQ(m.root_id, "om_root");
  EXPECT_EQ(m.parent_id, "om_parent");
  EXPECT_EQ(m.thread_id, "omt_1");
  EXPECT_EQ(m.chat_id, "oc_chat");
  EXPECT_EQ(m.chat, fam::chat_kind::p2p);
  EXPECT_EQ(m.sender_open_id, "ou_sender");
  EXPECT_EQ(m.sender_union_id, "on_u");
  EXPECT_EQ(m.sender_user_id, "uid");
  EXPECT_EQ(m.sender_type, "user");
  EXPECT_EQ(m.tenant_key, "tk");
  EXPECT_EQ(m.text, "hello\nworld");
  EXPECT_EQ(m.create_time_ms, 1700000000123);
  EXPECT_FALSE(m.bot_mentioned);
}

TEST(Events, GroupMentionsAreResolvedAndTheBotsIsStripped) {
  json::array ms{mention("@_user_1", kBot, "Bot"), mention("@_user_2", "ou_tom", "Tom"),
                 mention("@_user_10", "ou_ann", "Ann")};
  const std::string j =
      receive("group", "text", R"({"text":"@_user_1 ask @_user_2 and @_user_10 please"})", ms);
  auto m = parse(j);
  EXPECT_EQ(m.chat, fam::chat_kind::group);
  EXPECT_TRUE(m.bot_mentioned);
  EXPECT_EQ(m.text, "ask @Tom and @Ann please");
  ASSERT_EQ(m.mentions.size(), 3u);
  EXPECT_TRUE(m.mentions[0].is_bot);
  EXPECT_EQ(m.mentions[1].open_id, "ou_tom");
  // Keeping the bot mention, and not knowing the bot's open_id.
  m = parse(j, {kBot, false});
  EXPECT_EQ(m.text, "@Bot ask @Tom and @Ann please");
  m = parse(j, {"", true});
  EXPECT_FALSE(m.bot_mentioned);
  EXPECT_EQ(m.text, "@Bot ask @Tom and @Ann please");
  // Mid-text bot mention.
  m = parse(receive("group", "text", R"({"text":"hey @_user_1 do it"})", ms));
  EXPECT_EQ(m.text, "hey do it");
  // @all.
  json::array all{json::object{{"key", "@_all"}, {"name", "所有人"}}};
  m = parse(receive("group", "text", R"({"text":"@_all 通知"})", all));
  EXPECT_TRUE(m.mentions_all);
  EXPECT_EQ(m.text, "@all 通知");
}

TEST(Events, PostContentIsFlattened) {
  json::array ms{mention("@_user_1", kBot, "Bot"), mention("@_user_2", "ou_tom", "Tom")};
  const std::string post = json::serialize(json::object{
      {"title", "Report"},
      {"content",
       json::array{
           json::array{json::object{{"tag", "at"}, {"user_id", "@_user_1"}, {"user_name", "Bot"}},
                       json::object{{"tag", "text"}, {"text", " see "}},
                       json::object{{"tag", "a"}, {"text", "docs"}, {"href", "https://x.y/"}}},
           json::array{json::object{{"tag", "text"}, {"text", "cc "}},
                       json::object{{"tag", "at"}, {"user_id", "ou_tom"}, {"user_name", "Tom"}},
                       json::object{{"tag", "img"}, {"image_key", "img_1"}}},
           json::array{json::object{{"tag", "at"}, {"user_id", "all"}},
                       json::object{{"tag", "text"}, {"text", " done"}}}}}});
  auto m = parse(receive("group", "post", post, ms));
  EXPECT_TRUE(m.bot_mentioned);
  EXPECT_EQ(m.text, "Report\nsee docs (https://x.y/)\ncc @Tom[image]\n@all done");
  // The same post wrapped in a locale.
  const std::string wrapped = "{\"en_us\":" + post + "}";
  EXPECT_EQ(parse(receive("group", "post", wrapped, ms)).text, m.text);
  // Unreadable content gives empty text, not a failure.
  EXPECT_EQ(parse(receive("group", "post", "{oops")).text, "");
  EXPECT_EQ(parse(receive("p2p", "image", R"({"image_key":"k"})")).message_type, "image");
}

TEST(Events, V1MessageEvent) {
  const std::string j = R"({"ts":"1700000000.5","uuid":"a1b2","token":"vt","type":"event_callback",
    "event":{"type":"message","app_id":"cli_0123456789abcdef","tenant_key":"tk","root_id":"",
    "parent_id":"","open_chat_id":"oc_c","chat_type":"private","msg_type":"text","open_id":"ou_s",
    "employee_id":"e1","union_id":"on_s","open_message_id":"om_v1","is_mention":true,
    "text":"<at open_id=\"ou_bot\">@Bot</at> hi there","text_without_at_bot":" hi there"}})";
  auto env = fam::parse_envelope(j);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->kind, fam::envelope_kind::v1);
  EXPECT_EQ(env->event_id, "a1b2");
  EXPECT_EQ(env->token, "vt");
  auto m = fam::parse_message_event(*env, {kBot, true});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_id, "om_v1");
  EXPECT_EQ(m->chat_id, "oc_c");
  EXPECT_EQ(m->chat, fam::chat_kind::p2p);
  EXPECT_EQ(m->sender_open_id, "ou_s");
  EXPECT_EQ(m->sender_user_id, "e1");
  EXPECT_TRUE(m->bot_mentioned);
  EXPECT_EQ(m->text, "hi there");
  m = fam::parse_message_event(*env, {kBot, false});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text, "@Bot hi there");
}

TEST(Events, CardActionTrigger) {
  const std::string j =
      R"({"schema":"2.0","header":{"event_id":"ce","event_type":"card.action.trigger",
    "create_time":"1","token":"","app_id":"cli_0123456789abcdef","tenant_key":"tk"},
    "event":{"operator":{"tenant_key":"tk","user_id":"u","open_id":"ou_op","union_id":"on_op"},
    "token":"c-123","action":{"value":{"k":"v"},"tag":"button","name":"b1"},"host":"im_message",
    "open_message_id":"card-action-c-tmp",
    "context":{"open_message_id":"om_card","open_chat_id":"oc_card"}}})";
  auto env = fam::parse_envelope(j);
  ASSERT_TRUE(env);
  std::string error;
  auto a = fam::parse_card_action(*env, &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->event_id, "ce");
  EXPECT_EQ(a->message_id, "om_card");  // context wins over the temporary top-level id
  EXPECT_EQ(a->chat_id, "oc_card");
  EXPECT_EQ(a->operator_open_id, "ou_op");
  EXPECT_EQ(a->token, "c-123");
  EXPECT_EQ(a->tag, "button");
  EXPECT_EQ(a->name, "b1");
  EXPECT_EQ(a->value_json, R"({"k":"v"})");
  EXPECT_FALSE(fam::parse_message_event(*env));
  // Without an operator open_id it is dropped, as node-sdk does.
  auto no_op = fam::parse_envelope(std::string(j).replace(j.find("ou_op"), 5, ""));
  ASSERT_TRUE(no_op);
  EXPECT_FALSE(fam::parse_card_action(*no_op, &error));
}

TEST(Events, EnvelopeShapes) {
  auto c = fam::parse_envelope(R"({"challenge":"abc","token":"t","type":"url_verification"})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, fam::envelope_kind::url_verification);
  EXPECT_EQ(c->challenge, "abc");
  EXPECT_EQ(fam::challenge_response("abc"), R"({"challenge":"abc"})");
  std::string error;
  for (const char* bad :
       {"", "[]", R"({"schema":"2.0"})", R"({"header":{"event_id":"x","event_type":"y"}})",
        R"({"uuid":"u","event":{}})", R"({"schema":"2.0","header":{"event_type":"y"}})"}) {
    EXPECT_FALSE(fam::parse_envelope(bad, &error)) << bad;
    EXPECT_FALSE(error.empty());
  }
  // A v2 message without ids.
  auto env = fam::parse_envelope(
      R"({"schema":"2.0","header":{"event_id":"e","event_type":"im.message.receive_v1"},"event":{"message":{"chat_id":"oc"}}})");
  ASSERT_TRUE(env);
  EXPECT_FALSE(fam::parse_message_event(*env, {}, &error));
  // Deep nesting is refused, not recursed into without bound.
  EXPECT_FALSE(fam::parse_envelope(std::string(100, '[') + std::string(100, ']')));
}
