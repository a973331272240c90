// ClientConfig validation, pong handling, acks as every SDK variant sends them, event splitting.
#include <gtest/gtest.h>

#include "feishu_lark/proto/crypto.hpp"
#include "feishu_lark/proto/ws_frames.hpp"
#include "patchbay/common/base64.hpp"

namespace fam = patchbay::plugins::feishu_family;
namespace pb = fam::pbbp2;

TEST(ClientConfig, ParsesTheFourKeys) {
  const auto r = fam::parse_client_config(
      R"({"PingInterval":30,"ReconnectCount":3,"ReconnectInterval":5,"ReconnectNonce":0})");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->ping_interval_s, 30);
  EXPECT_EQ(r.config->reconnect_count, 3);
  EXPECT_EQ(r.config->reconnect_interval_s, 5);
  EXPECT_EQ(r.config->reconnect_nonce_s, 0);
  // The SDK defaults, as the note's example answer carries them.
  const auto d = fam::parse_client_config(fam::client_config_json(fam::client_config{}));
  ASSERT_TRUE(d.config);
  EXPECT_EQ(*d.config, fam::client_config{});
  EXPECT_EQ(fam::client_config{}.ping_interval_s, 120);
  EXPECT_EQ(fam::client_config{}.reconnect_count, -1);
}

TEST(ClientConfig, RejectsWhatWouldMakeTheSdksSpin) {
  auto bad = [](const char* j) { return fam::parse_client_config(j); };
  // A missing key (node: NaN → 1 ms timers; go: 0 → ping spin).
  auto r = bad(R"({"ReconnectCount":-1,"ReconnectInterval":120,"ReconnectNonce":30})");
  EXPECT_FALSE(r.config);
  EXPECT_NE(r.error.find("PingInterval"), std::string::npos);
  EXPECT_FALSE(
      bad(R"({"PingInterval":0,"ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":1})")
          .config);
  EXPECT_FALSE(
      bad(R"({"PingInterval":"120","ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":1})")
          .config);
  EXPECT_FALSE(
      bad(R"({"PingInterval":1.5,"ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":1})")
          .config);
  EXPECT_FALSE(
      bad(R"({"PingInterval":120,"ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":-1})")
          .config);
  EXPECT_FALSE(
      bad(R"({"PingInterval":99999999999,"ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":1})")
          .config);
  EXPECT_FALSE(bad("[]").config);
  EXPECT_FALSE(bad("not json").config);
  // An integral double is still an integer.
  EXPECT_TRUE(
      bad(R"({"PingInterval":120.0,"ReconnectCount":-1,"ReconnectInterval":1,"ReconnectNonce":1})")
          .config);
}

TEST(Pong, EmptyPayloadCarriesNoConfigAndBadOnesAreReported) {
  EXPECT_FALSE(fam::parse_pong(fam::make_ping(1)));
  auto p = fam::parse_pong(fam::make_pong(1));
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->config);
  EXPECT_TRUE(p->error.empty());
  p = fam::parse_pong(fam::make_pong(
      1,
      std::string_view(
          R"({"PingInterval":10,"ReconnectCount":1,"ReconnectInterval":3,"ReconnectNonce":2})")));
  ASSERT_TRUE(p && p->config);
  EXPECT_EQ(p->config->reconnect_count, 1);
  p = fam::parse_pong(fam::make_pong(1, std::string_view("{bad")));
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->config);
  EXPECT_FALSE(p->error.empty());
}

TEST(Ack, PayloadAndEveryFieldEchoed) {
  EXPECT_EQ(fam::ack_payload(200), R"({"code":200})");
  EXPECT_EQ(fam::ack_payload(500), R"({"code":500})");
  const std::string card_answer = R"({"toast":{"type":"info","content":"ok"}})";
  const std::string with_data = fam::ack_payload(200, std::string_view(card_answer));
  EXPECT_EQ(with_data,
            R"({"code":200,"data":")" + patchbay::common::base64_encode(card_answer) + "\"}");

  pb::frame in;
  in.seq_id = 18446744073709551615ull;
  in.log_id = 42;
  in.service = 9;
  in.method = pb::method_data;
  in.payload_type =
      "x";  // node echoes present optional fields (docs/protocols/feishu-lark.md §2.3)
  in.log_id_new = "abc";
  pb::add_header(in, "type", "event");
  pb::add_header(in, "message_id", "m");
  in.payload = "{\"big\":1}";
  const pb::frame ack = fam::make_ack(in, 200, 17);
  EXPECT_EQ(ack.seq_id, in.seq_id);
  EXPECT_EQ(ack.log_id, 42u);
  EXPECT_EQ(ack.service, 9);
  EXPECT_EQ(ack.payload_type, "x");
  EXPECT_EQ(ack.log_id_new, "abc");
  ASSERT_EQ(ack.headers.size(), 3u);
  EXPECT_EQ(ack.headers.back().key, "biz_rt");
  EXPECT_EQ(ack.headers.back().value, "17");
  EXPECT_EQ(ack.payload, R"({"code":200})");
}

TEST(Ack, ServerSideParsesEverySdkVariant) {
  for (const char* p :
       {R"({"code":200})", R"({"code": 200})", R"({"code":200,"headers":null,"data":null})"}) {
    const auto a = fam::parse_ack_payload(p);
    ASSERT_TRUE(a) << p;
    EXPECT_EQ(a->code, 200);
    EXPECT_FALSE(a->data_json);
  }
  const auto d = fam::parse_ack_payload(fam::ack_payload(200, std::string_view("{\"a\":1}")));
  ASSERT_TRUE(d && d->data_json);
  EXPECT_EQ(*d->data_json, "{\"a\":1}");
  EXPECT_EQ(fam::parse_ack_payload(R"({"code":500})")->code, 500);
  EXPECT_FALSE(fam::parse_ack_payload(R"({"code":"200"})"));
  EXPECT_FALSE(fam::parse_ack_payload(R"({"data":"e30="})"));
  EXPECT_FALSE(fam::parse_ack_payload(R"({"code":200,"data":"!!"})"));
  EXPECT_FALSE(fam::parse_ack_payload(""));
}

TEST(DataFrames, CardAndUnknownTypesAreDroppedWithoutAck) {
  auto frames = fam::split_event("{}", 1, "m", "t", 1, 1, 1);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(fam::classify_data_frame(frames[0]), fam::data_disposition::process);
  frames[0].headers[0].value = "card";
  EXPECT_EQ(fam::classify_data_frame(frames[0]), fam::data_disposition::drop_without_ack);
  frames[0].headers[0].value = "weird";
  EXPECT_EQ(fam::classify_data_frame(frames[0]), fam::data_disposition::drop_without_ack);
  EXPECT_EQ(fam::classify_data_frame(fam::make_ping(1)), fam::data_disposition::drop_without_ack);
}

TEST(DataFrames, SplitEventPutsAllFiveHeadersOnEveryFragment) {
  const std::string payload = "0123456789";
  const auto frames = fam::split_event(payload, 3, "mid", "tr", 5, 6, 7);
  ASSERT_EQ(frames.size(), 3u);
  std::string joined;
  for (size_t i = 0; i < frames.size(); ++i) {
    const pb::frame& f = frames[i];
    EXPECT_EQ(f.method, pb::method_data);
    EXPECT_EQ(pb::header_value(f, "type"), "event");
    EXPECT_EQ(pb::header_value(f, "message_id"), "mid");
    EXPECT_EQ(pb::header_value(f, "sum"), "3");
    EXPECT_EQ(pb::header_value(f, "seq"), std::to_string(i));
    EXPECT_EQ(pb::header_value(f, "trace_id"), "tr");
    ASSERT_TRUE(f.payload);
    EXPECT_FALSE(f.payload->empty());
    joined += *f.payload;
  }
  EXPECT_EQ(joined, payload);
  EXPECT_EQ(fam::split_event("ab", 10, "m", "t", 0, 0, 0).size(), 2u);  // never empty slices
  EXPECT_EQ(fam::split_event("", 3, "m", "t", 0, 0, 0).size(), 1u);
}
