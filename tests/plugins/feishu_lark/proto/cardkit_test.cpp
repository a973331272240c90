// CardKit request builders and answers (feishu_lark/proto/cardkit.hpp): the streaming card's JSON
// 2.0 shape, the interactive message referencing it, content and settings bodies with sequence
// and uuid, the summary, and the card codes' classes (terminal, sequence conflict).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "feishu_lark/proto/cardkit.hpp"

namespace {
using namespace patchbay::plugins::feishu_family;
namespace json = boost::json;

TEST(FeishuCardKit, TheStreamingCardIsJson2WithOneMarkdownElement) {
  const auto card = json::parse(streaming_card_json("Hello \"you\"", "answer")).as_object();
  EXPECT_EQ(card.at("schema").as_string(), "2.0");
  EXPECT_TRUE(card.at("config").at("streaming_mode").as_bool());
  const auto& el = card.at("body").at("elements").as_array().at(0).as_object();
  EXPECT_EQ(el.at("tag").as_string(), "markdown");
  EXPECT_EQ(el.at("element_id").as_string(), "answer");
  EXPECT_EQ(el.at("content").as_string(), "Hello \"you\"");
  const auto req = create_card_request(streaming_card_json("x", "answer"));
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/open-apis/cardkit/v1/cards");
  const auto body = json::parse(req.body).as_object();
  EXPECT_EQ(body.at("type").as_string(), "card_json");
  EXPECT_TRUE(body.at("data").is_string());  // the card JSON travels as a string
  const auto m = card_entity_message("7abc");
  EXPECT_EQ(m.msg_type, "interactive");
  EXPECT_EQ(json::parse(m.content).at("data").at("card_id").as_string(), "7abc");
}

TEST(FeishuCardKit, ContentAndSettingsCarrySequenceAndUuid) {
  const auto put = card_content_request("c/1", "answer", "full text", 7, "u7");
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.target, "/open-apis/cardkit/v1/cards/c%2F1/elements/answer/content");
  const auto b = json::parse(put.body).as_object();
  EXPECT_EQ(b.at("content").as_string(), "full text");
  EXPECT_EQ(b.at("sequence").as_int64(), 7);
  EXPECT_EQ(b.at("uuid").as_string(), "u7");
  const auto patch = close_card_request("c1", "sum", 8, "u8");
  EXPECT_EQ(patch.method, "PATCH");
  EXPECT_EQ(patch.target, "/open-apis/cardkit/v1/cards/c1/settings");
  const auto p = json::parse(patch.body).as_object();
  EXPECT_EQ(p.at("sequence").as_int64(), 8);
  const auto settings = json::parse(p.at("settings").as_string()).as_object();
  EXPECT_FALSE(settings.at("config").at("streaming_mode").as_bool());
  EXPECT_EQ(settings.at("config").at("summary").at("content").as_string(), "sum");
}

TEST(FeishuCardKit, TheSummaryIsTheFirstFiftyCodePointsOnOneLine) {
  EXPECT_EQ(card_summary("short\nanswer"), "short answer");
  std::string long_text;
  for (int i = 0; i < 60; ++i) long_text += "你";
  const std::string s = card_summary(long_text);
  EXPECT_EQ(s, long_text.substr(0, 50 * 3) + "\xE2\x80\xA6");
}

TEST(FeishuCardKit, AnswersAndCodesAreClassified) {
  auto ok = parse_card_create_response(200, R"({"code":0,"msg":"ok","data":{"card_id":"7x"}})");
  ASSERT_TRUE(ok.error.ok());
  EXPECT_EQ(ok.card_id, "7x");
  EXPECT_FALSE(parse_card_create_response(200, R"({"code":0,"data":{}})").error.ok());
  for (int64_t code : {200850, 300309}) {
    auto e = parse_card_update_response(400, R"({"code":)" + std::to_string(code) + "}");
    EXPECT_EQ(e.code, PB_ERR_UNSUPPORTED) << code;
    EXPECT_EQ(e.kind, error_kind::stream_closed) << code;
  }
  auto conflict = parse_card_update_response(400, R"({"code":300317,"msg":"seq"})");
  EXPECT_EQ(conflict.kind, error_kind::sequence_conflict);
  EXPECT_EQ(conflict.code, PB_ERR_RETRYABLE);
  EXPECT_EQ(parse_card_update_response(400, R"({"code":230031})").code, PB_ERR_UNSUPPORTED);
  EXPECT_EQ(parse_card_update_response(400, R"({"code":230011})").code, PB_ERR_NOT_FOUND);
  EXPECT_EQ(parse_card_update_response(400, R"({"code":230020})").code, PB_ERR_RATE_LIMITED);
  // The card codes mean nothing special outside CardKit calls.
  EXPECT_NE(classify_api_error(api_op::edit, 400, 300309, "").kind, error_kind::stream_closed);
}

}  // namespace
