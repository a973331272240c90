// The `openai` agent's protocol logic (agents/openai_agent_protocol.hpp): options, history and
// its bounds, the request body, streamed chunks, error envelopes and the user-facing texts.
// Pure logic, no sockets.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "agents/openai_agent_protocol.hpp"

namespace {
namespace oa = patchbay::agents::openai;
using patchbay::agents::transport_failure;

TEST(OpenaiOptions, RequiredDefaultsAndSecrets) {
  std::string err;
  auto o = oa::parse_options(
      R"({"base_url":"http://127.0.0.1:9/v1/","model":"m","api_key":"sk-123","temperature":0.2,
          "max_tokens":64,"history_turns":3,"history_bytes":1000,"idle_timeout_ms":1500})",
      err);
  EXPECT_EQ(err, "");
  EXPECT_EQ(o.base_url, "http://127.0.0.1:9/v1");  // trailing slash dropped
  EXPECT_EQ(o.api_key, "sk-123");
  EXPECT_EQ(o.temperature, 0.2);
  EXPECT_EQ(o.max_tokens, 64);
  EXPECT_EQ(o.history_turns, 3);
  EXPECT_EQ(o.deadlines.idle, std::chrono::milliseconds(1500));

  oa::parse_options(R"({"api_key":"sk-very-secret","temperature":7,"colour":"red"})", err);
  EXPECT_NE(err.find("option 'base_url' is required"), std::string::npos) << err;
  EXPECT_NE(err.find("option 'model' is required"), std::string::npos) << err;
  EXPECT_NE(err.find("option 'temperature' must be a number from 0 to 2"), std::string::npos)
      << err;
  EXPECT_NE(err.find("unknown option 'colour'"), std::string::npos) << err;
  EXPECT_EQ(err.find("sk-very-secret"), std::string::npos);
}

TEST(OpenaiHistory, RoundTripAndTolerantParse) {
  oa::history h{{"hi", "echo: hi"}, {"\"quoted\"\n", "é"}};
  auto back = oa::parse_history(oa::serialize_history(h));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].user, "\"quoted\"\n");
  EXPECT_EQ(back[1].assistant, "é");
  EXPECT_TRUE(oa::parse_history("").empty());
  EXPECT_TRUE(oa::parse_history("{not json").empty());
  EXPECT_TRUE(oa::parse_history(R"({"user":"x"})").empty());
}

TEST(OpenaiHistory, TrimKeepsTheNewestWithinTurnsAndBytes) {
  oa::history h;
  for (int i = 0; i < 5; ++i) h.push_back({"u" + std::to_string(i), "a" + std::to_string(i)});
  auto by_turns = h;
  oa::trim_history(by_turns, 2, 1000);
  ASSERT_EQ(by_turns.size(), 2u);
  EXPECT_EQ(by_turns[0].user, "u3");
  EXPECT_EQ(by_turns[1].user, "u4");

  auto by_bytes = h;  // 4 bytes per exchange
  oa::trim_history(by_bytes, 100, 9);
  ASSERT_EQ(by_bytes.size(), 2u);
  EXPECT_EQ(by_bytes[0].user, "u3");

  oa::history big{{"small", "x"}, {std::string(50, 'q'), "y"}};
  oa::trim_history(big, 10, 20);  // the newest alone is over the limit: nothing fits
  EXPECT_TRUE(big.empty());

  auto none = h;
  oa::trim_history(none, 0, 1000);
  EXPECT_TRUE(none.empty());
}

TEST(OpenaiRequest, MessagesInOrderWithOptionalFields) {
  std::string err;
  auto o = oa::parse_options(
      R"({"base_url":"http://x/v1","model":"gpt-x","system_prompt":"Be brief.","temperature":0.5})",
      err);
  auto v = boost::json::parse(oa::request_body(o, {{"q1", "a1"}}, "q2")).as_object();
  EXPECT_EQ(v.at("model").as_string(), "gpt-x");
  EXPECT_EQ(v.at("stream").as_bool(), true);
  EXPECT_EQ(v.at("temperature").as_double(), 0.5);
  EXPECT_FALSE(v.contains("max_tokens"));
  const auto& m = v.at("messages").as_array();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].at("role").as_string(), "system");
  EXPECT_EQ(m[1].at("content").as_string(), "q1");
  EXPECT_EQ(m[2].at("role").as_string(), "assistant");
  EXPECT_EQ(m[3].at("content").as_string(), "q2");
  o.system_prompt.clear();
  o.temperature.reset();
  o.max_tokens = 10;
  auto w = boost::json::parse(oa::request_body(o, {}, "q")).as_object();
  EXPECT_EQ(w.at("messages").as_array().size(), 1u);
  EXPECT_FALSE(w.contains("temperature"));
  EXPECT_EQ(w.at("max_tokens").as_int64(), 10);
}

TEST(OpenaiChunks, DeltaFinishDoneErrorAndJunk) {
  auto role = oa::parse_chunk(
      R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})");
  EXPECT_EQ(role.delta, "");
  EXPECT_EQ(role.finish_reason, "");
  auto piece = oa::parse_chunk(R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})");
  EXPECT_EQ(piece.delta, "Hel");
  auto fin = oa::parse_chunk(R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})");
  EXPECT_EQ(fin.finish_reason, "length");
  EXPECT_TRUE(oa::parse_chunk(" [DONE] ").done_marker);
  auto err = oa::parse_chunk(
      R"({"error":{"message":"overloaded","type":"server_error","param":null,"code":null}})");
  ASSERT_TRUE(err.error);
  EXPECT_EQ(err.error->type, "server_error");
  EXPECT_TRUE(oa::parse_chunk("not json").unreadable);
  auto usage_only = oa::parse_chunk(R"({"choices":[],"usage":{"total_tokens":3}})");
  EXPECT_FALSE(usage_only.unreadable);
  EXPECT_EQ(usage_only.delta, "");
}

TEST(OpenaiBodies, CompletionAndErrorEnvelopes) {
  EXPECT_EQ(
      oa::parse_completion(
          R"({"object":"chat.completion","choices":[{"message":{"role":"assistant","content":"full"}}]})"),
      "full");
  EXPECT_FALSE(oa::parse_completion(R"({"error":{"message":"x"}})"));
  auto e = oa::parse_error(
      R"({"error":{"message":"quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "insufficient_quota");
  EXPECT_EQ(oa::parse_error(R"({"error":"plain"})")->message, "plain");
  EXPECT_FALSE(oa::parse_error("<html>"));
}

TEST(OpenaiTexts, ClassifiedNeverRaw) {
  EXPECT_EQ(oa::text_for_status(429, std::nullopt),
            "The model is rate-limited or over its usage limit; please try again later.");
  EXPECT_EQ(oa::text_for_status(429, oa::api_error{"", "insufficient_quota", "insufficient_quota"}),
            "The model's usage quota is used up; the operator has been notified.");
  EXPECT_EQ(oa::text_for_status(401, std::nullopt),
            "The gateway's model credentials were rejected; the operator has been notified.");
  EXPECT_EQ(oa::text_for_status(403, std::nullopt), oa::text_for_status(401, std::nullopt));
  EXPECT_EQ(oa::text_for_status(502, std::nullopt),
            "The model service failed (HTTP 502); please try again later.");
  EXPECT_EQ(oa::text_for_status(400, std::nullopt),
            "The model service refused the request (HTTP 400); the operator has been notified.");
  for (auto f : {transport_failure::connect_timeout, transport_failure::first_byte_timeout,
                 transport_failure::idle_timeout, transport_failure::total_timeout})
    EXPECT_EQ(oa::text_for_transport(f),
              "The model did not answer in time; please try again later.");
  EXPECT_EQ(oa::text_for_transport(transport_failure::refused),
            "The model service is unreachable; the operator has been notified.");
  EXPECT_EQ(oa::text_for_transport(transport_failure::closed_early), oa::text_cut_off);
  EXPECT_EQ(oa::text_for_stream_error({"slow down", "requests", "rate_limit_exceeded"}),
            oa::text_for_status(429, std::nullopt));
  EXPECT_EQ(oa::text_for_stream_error({"boom", "server_error", ""}),
            "The model service reported an error while answering; please try again later.");
}

TEST(OpenAiProtocol, AttachmentsBecomeLinesNamingTheFiles) {
  EXPECT_EQ(oa::user_text_of(R"({"text":"look"})"), "look");
  EXPECT_EQ(oa::user_text_of(R"({"text":"look","attachments":[{"kind":"image","name":"cat.png",)"
                             R"("mime_type":"image/png","size":70000,"url":"http://h/v1/media/x"},)"
                             R"({"kind":"file","name":"","mime_type":"","size":0}]})"),
            "look\n[attachment: image \"cat.png\", image/png, 70000 bytes]\n[attachment: file]");
  EXPECT_EQ(oa::user_text_of(R"({"text":"","attachments":[{"kind":"audio"}]})"),
            "[attachment: audio]");
}

TEST(OpenAiProtocol, ImagesOptionAndImageParts) {
  std::string err;
  auto o = oa::parse_options(R"({"base_url":"http://127.0.0.1:9/v1","model":"m"})", err);
  EXPECT_FALSE(o.images);  // off by default
  EXPECT_EQ(o.max_image_bytes, 20 << 20);
  o = oa::parse_options(
      R"({"base_url":"http://127.0.0.1:9/v1","model":"m","images":true,"max_image_bytes":5})", err);
  EXPECT_EQ(err, "");
  EXPECT_TRUE(o.images);
  EXPECT_EQ(o.max_image_bytes, 5);
  oa::parse_options(R"({"base_url":"http://127.0.0.1:9/v1","model":"m","images":"yes"})", err);
  EXPECT_NE(err.find("option 'images' must be true or false"), std::string::npos) << err;

  // Images: kind image or an image/* MIME type, with a media id; nothing else.
  auto refs = oa::image_refs_of(
      R"({"text":"x","attachments":[{"kind":"image","name":"a.png","mime_type":"image/png",)"
      R"("media_id":"m1"},{"kind":"file","name":"b.pdf","mime_type":"application/pdf",)"
      R"("media_id":"m2"},{"kind":"file","name":"c.jpg","mime_type":"image/jpeg","media_id":"m3"},)"
      R"({"kind":"image","name":"no-id.png"}]})");
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].media_id, "m1");
  EXPECT_EQ(refs[1].media_id, "m3");
  EXPECT_TRUE(oa::image_refs_of(R"({"text":"x"})").empty());

  // The user content becomes [text, image_url...]; without images it stays a string.
  auto body = boost::json::parse(oa::request_body(o, {{"q", "a"}}, "look", true,
                                                  {{"image/png", std::string("\x89PNG\0", 5)}}));
  const auto& msgs = body.at("messages").as_array();
  EXPECT_TRUE(msgs[0].at("content").is_string());  // history stays text
  const auto& parts = msgs.back().at("content").as_array();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], (boost::json::object{{"type", "text"}, {"text", "look"}}));
  EXPECT_EQ(parts[1].at("type"), "image_url");
  EXPECT_EQ(parts[1].at("image_url").at("url"), "data:image/png;base64,iVBORwA=");
  body = boost::json::parse(oa::request_body(o, {}, "look"));
  EXPECT_EQ(body.at("messages").as_array().back().at("content"), "look");
}

}  // namespace
