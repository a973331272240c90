// fake_feishu's CardKit endpoints without sockets, on a manual clock: JSON 2.0 and streaming_mode
// validation, a card entity sent once as an interactive message, sequence strictly increasing
// (300317), the per-card rate (230020), the streaming timeout (200850 once, then 300309), updates
// after settings closed the card (300309), injected card errors, and the record of every card.
#include "harness.hpp"

namespace fakes_feishu_test {
namespace {

struct cards : harness {
  std::string tok = token();
  feishu::outcome api(const std::string& method, const std::string& target, json::object body) {
    return call(method, target, json::serialize(body), auth(tok));
  }
  static json::object card_json(bool streaming = true, const std::string& schema = "2.0") {
    return {{"schema", schema},
            {"config", json::object{{"streaming_mode", streaming}}},
            {"body", json::object{{"elements", json::array{json::object{{"tag", "markdown"},
                                                                        {"element_id", "answer"},
                                                                        {"content", "Hel"}}}}}}};
  }
  json::object create(json::object card) {
    return obj(api("POST", "/open-apis/cardkit/v1/cards",
                   {{"type", "card_json"}, {"data", json::serialize(card)}})
                   .response.body);
  }
  std::string card_id() {
    auto r = create(card_json());
    EXPECT_EQ(r.at("code").as_int64(), 0) << json::serialize(r);
    return std::string(r.at("data").at("card_id").as_string());
  }
  std::int64_t content(const std::string& id, const std::string& text, std::int64_t seq,
                       const std::string& element = "answer") {
    return obj(api("PUT", "/open-apis/cardkit/v1/cards/" + id + "/elements/" + element + "/content",
                   {{"content", text}, {"sequence", seq}, {"uuid", "u" + std::to_string(seq)}})
                   .response.body)
        .at("code")
        .as_int64();
  }
  std::int64_t close(const std::string& id, std::int64_t seq) {
    json::object settings{{"config", json::object{{"streaming_mode", false},
                                                  {"summary", json::object{{"content", "sum"}}}}}};
    return obj(api("PATCH", "/open-apis/cardkit/v1/cards/" + id + "/settings",
                   {{"settings", json::serialize(settings)}, {"sequence", seq}})
                   .response.body)
        .at("code")
        .as_int64();
  }
  json::object record(const std::string& id) {
    const json::object all = control("GET", "/_fake/cards");
    for (const auto& c : all.at("cards").as_array())
      if (c.at("card_id").as_string() == id) return c.as_object();
    return {};
  }
};

TEST(FakeFeishuCards, OnlyJson2CardsWithValidSettingsAreCreated) {
  cards c;
  EXPECT_EQ(c.create(cards::card_json(true, "1.0")).at("code").as_int64(), 200621);
  auto bad_mode = cards::card_json();
  bad_mode["config"] = json::object{{"streaming_mode", "yes"}};
  EXPECT_EQ(c.create(bad_mode).at("code").as_int64(), 200621);
  auto no_multi = cards::card_json();
  no_multi["config"] = json::object{{"update_multi", false}};
  EXPECT_EQ(c.create(no_multi).at("code").as_int64(), 200621);
  auto r = obj(c.api("POST", "/open-apis/cardkit/v1/cards",
                     {{"type", "template"}, {"data", json::serialize(cards::card_json())}})
                   .response.body);
  EXPECT_EQ(r.at("code").as_int64(), 99992402);
  EXPECT_FALSE(c.card_id().empty());
}

TEST(FakeFeishuCards, ACardIsSentOnceAndItsMessageShowsItsText) {
  cards c;
  const std::string id = c.card_id();
  json::object msg{{"receive_id", "oc_chat"},
                   {"msg_type", "interactive"},
                   {"content", json::serialize(json::object{
                                   {"type", "card"}, {"data", json::object{{"card_id", id}}}})}};
  auto sent =
      obj(c.api("POST", "/open-apis/im/v1/messages?receive_id_type=chat_id", msg).response.body);
  ASSERT_EQ(sent.at("code").as_int64(), 0) << json::serialize(sent);
  auto again =
      obj(c.api("POST", "/open-apis/im/v1/messages?receive_id_type=chat_id", msg).response.body);
  EXPECT_NE(again.at("code").as_int64(), 0);  // a card entity is sent once
  ASSERT_EQ(c.content(id, "Hello", 1), 0);
  const json::object listed = c.control("GET", "/_fake/messages?chat_id=oc_chat");
  const auto& msgs = listed.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].at("card_id").as_string(), id);
  EXPECT_EQ(msgs[0].at("text").as_string(), "Hello");
  EXPECT_EQ(c.record(id).at("message_id").as_string(), msgs[0].at("message_id").as_string());
}

TEST(FakeFeishuCards, SequenceMustIncreaseAndUnknownElementsAreRefused) {
  cards c;
  const std::string id = c.card_id();
  EXPECT_EQ(c.content(id, "a", 5), 0);
  EXPECT_EQ(c.content(id, "b", 5), 300317);
  EXPECT_EQ(c.content(id, "b", 4), 300317);
  EXPECT_EQ(c.content(id, "b", 6, "nope"), 300313);
  EXPECT_EQ(c.close(id, 6), 0);  // settings share the sequence
  EXPECT_EQ(c.close(id, 6), 300317);
  auto r = c.record(id);
  EXPECT_EQ(r.at("last_sequence").as_int64(), 6);
  EXPECT_FALSE(r.at("streaming").as_bool());
  EXPECT_EQ(r.at("summary").as_string(), "sum");
  EXPECT_EQ(c.content(id, "after close", 7), 300309);
}

TEST(FakeFeishuCards, PerCardRateIsTenPerSecond) {
  cards c;
  const std::string a = c.card_id();
  const std::string b = c.card_id();
  for (int i = 1; i <= 10; ++i) ASSERT_EQ(c.content(a, "t" + std::to_string(i), i), 0) << i;
  EXPECT_EQ(c.content(a, "eleventh", 11), 230020);
  EXPECT_EQ(c.content(b, "another card", 1), 0);  // per card
  c.clock += 1000;
  EXPECT_EQ(c.content(a, "next second", 12), 0);
  EXPECT_EQ(c.record(a).at("history").as_array().size(), 11u);
}

TEST(FakeFeishuCards, StreamingTimesOutWith200850ThenIsClosed) {
  cards c;
  c.control("POST", "/_fake/config", {{"card_streaming_timeout_ms", 5000}});
  const std::string id = c.card_id();
  EXPECT_EQ(c.content(id, "early", 1), 0);
  c.clock += 5000;
  EXPECT_EQ(c.content(id, "late", 2), 200850);
  EXPECT_EQ(c.content(id, "later", 3), 300309);
  EXPECT_EQ(c.close(id, 4), 0);  // closing still works
  auto r = c.record(id);
  EXPECT_TRUE(r.at("timed_out").as_bool());
  EXPECT_EQ(r.at("text").as_string(), "early");
}

TEST(FakeFeishuCards, InjectedErrorsAnswerTheirCodeAndTerminalOnesEndStreaming) {
  cards c;
  const std::string id = c.card_id();
  c.control("POST", "/_fake/fault", {{"kind", "card_error"}, {"code", 230011}});
  EXPECT_EQ(c.content(id, "x", 1), 230011);
  EXPECT_EQ(c.content(id, "x", 2), 0);  // the card still streams
  c.control("POST", "/_fake/fault", {{"kind", "card_error"}, {"code", 300309}});
  EXPECT_EQ(c.content(id, "y", 3), 300309);
  EXPECT_EQ(c.content(id, "y", 4), 300309);  // streaming ended for good
  c.control("POST", "/_fake/fault", {{"kind", "card_settings_error"}, {"code", 300317}});
  EXPECT_EQ(c.close(id, 5), 300317);
  EXPECT_EQ(c.close(id, 6), 0);
}

}  // namespace
}  // namespace fakes_feishu_test
