// pbbp2 codec: byte layouts derived from the SDKs (docs/protocols/feishu-lark.md §2.3 check bytes,
// re-checked there against node-sdk's own encoder), round trips, and malformed input.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "feishu_lark/proto/pbbp2.hpp"
#include "feishu_lark/proto/ws_frames.hpp"
#include "test_util.hpp"

namespace fam = patchbay::plugins::feishu_family;
namespace pb = fam::pbbp2;
using feishu_proto_test::from_hex;

namespace {

constexpr int32_t kService = 33554678;  // the note's example service id: varint F6 81 80 10

// A header as it appears inside a frame: 2A <len> 0A <klen> key 12 <vlen> value.
std::string header_bytes(std::string_view k, std::string_view v) {
  std::string inner = from_hex("0A") + static_cast<char>(k.size()) + std::string(k) +
                      from_hex("12") + static_cast<char>(v.size()) + std::string(v);
  return from_hex("2A") + static_cast<char>(inner.size()) + inner;
}

pb::frame sample_event() {
  pb::frame f;
  f.seq_id = 7;
  f.service = kService;
  f.method = pb::method_data;
  pb::add_header(f, "type", "event");
  pb::add_header(f, "message_id", "m1");
  pb::add_header(f, "sum", "1");
  pb::add_header(f, "seq", "0");
  pb::add_header(f, "trace_id", "t1");
  f.payload = "{}";
  return f;
}

}  // namespace

TEST(Pbbp2, PingMatchesTheNodeSdkBytes) {
  const std::string expected = from_hex("08 00 10 00 18 F6 81 80 10 20 00 2A 0C 0A 04") + "type" +
                               from_hex("12 04") + "ping";
  EXPECT_EQ(pb::encode(fam::make_ping(kService)), expected);
}

TEST(Pbbp2, DataFrameMatchesTheNodeSdkBytes) {
  const std::string expected = from_hex("08 07 10 00 18 F6 81 80 10 20 01") +
                               header_bytes("type", "event") + header_bytes("message_id", "m1") +
                               header_bytes("sum", "1") + header_bytes("seq", "0") +
                               header_bytes("trace_id", "t1") + from_hex("42 02 7B 7D");
  // The note's spelled-out lengths: 2A 0D, 2A 10, 2A 08, 2A 08, 2A 0E.
  EXPECT_EQ(expected.substr(11, 2), from_hex("2A 0D"));
  EXPECT_EQ(pb::encode(sample_event()), expected);
  pb::frame back;
  ASSERT_EQ(pb::decode(expected, back), pb::decode_error::none);
  EXPECT_EQ(back, sample_event());
}

TEST(Pbbp2, AckAppendsBizRtAndReplacesThePayload) {
  const pb::frame ack = fam::make_ack(sample_event(), 200, 0);
  const std::string expected = from_hex("08 07 10 00 18 F6 81 80 10 20 01") +
                               header_bytes("type", "event") + header_bytes("message_id", "m1") +
                               header_bytes("sum", "1") + header_bytes("seq", "0") +
                               header_bytes("trace_id", "t1") + header_bytes("biz_rt", "0") +
                               from_hex("42 0C") + R"({"code":200})";
  EXPECT_EQ(pb::encode(ack), expected);
}

TEST(Pbbp2, GoStylePingWithEmptyOptionalFieldsDecodesAndKeepsPresence) {
  // go-sdk's gogo marshaller always writes payload_encoding, payload_type and LogIDNew.
  const std::string go_ping = from_hex("08 00 10 00 18 F6 81 80 10 20 00 2A 0C 0A 04") + "type" +
                              from_hex("12 04") + "ping" + from_hex("32 00 3A 00 4A 00");
  pb::frame f;
  ASSERT_EQ(pb::decode(go_ping, f), pb::decode_error::none);
  EXPECT_EQ(pb::kind_of(f), pb::frame_kind::ping);
  ASSERT_TRUE(f.payload_encoding && f.payload_type && f.log_id_new);
  EXPECT_TRUE(f.payload_encoding->empty());
  EXPECT_FALSE(f.payload);
  EXPECT_EQ(pb::encode(f), go_ping);  // an ack echoes exactly what was present
}

TEST(Pbbp2, RoundTripsExtremeValues) {
  pb::frame f;
  f.seq_id = std::numeric_limits<uint64_t>::max();  // node would echo 0 here; we echo it exactly
  f.log_id = (uint64_t{1} << 53) + 1;
  f.service = -5;  // int32 negatives take 10 bytes on the wire
  f.method = std::numeric_limits<int32_t>::max();
  pb::add_header(f, "", "");
  pb::add_header(f, "k", std::string(1000, 'v'));
  f.payload = std::string("\0\xff\x80", 3);
  f.payload_type = "x";
  f.log_id_new = "L";
  const std::string bytes = pb::encode(f);
  pb::frame back;
  ASSERT_EQ(pb::decode(bytes, back), pb::decode_error::none);
  EXPECT_EQ(back, f);
  // SeqID 2^64-1: tag + 10 bytes ending in 01.
  EXPECT_EQ(bytes.substr(0, 11), from_hex("08 FF FF FF FF FF FF FF FF FF 01"));
}

TEST(Pbbp2, UnknownFieldsAreSkipped) {
  std::string bytes = pb::encode(fam::make_ping(1));
  bytes += from_hex("58 05");                       // field 11 varint
  bytes += from_hex("61 01 02 03 04 05 06 07 08");  // field 12 fixed64
  bytes += from_hex("6D 01 02 03 04");              // field 13 fixed32
  bytes += from_hex("72 02 AA BB");                 // field 14 bytes
  pb::frame f;
  ASSERT_EQ(pb::decode(bytes, f), pb::decode_error::none);
  EXPECT_EQ(f, fam::make_ping(1));
}

TEST(Pbbp2, MissingRequiredFieldsAreRejected) {
  pb::frame f;
  // no method
  EXPECT_EQ(pb::decode(from_hex("08 00 10 00 18 01"), f), pb::decode_error::missing_required);
  EXPECT_EQ(pb::decode("", f), pb::decode_error::missing_required);
  // a header without a value
  EXPECT_EQ(pb::decode(from_hex("08 00 10 00 18 01 20 00 2A 03 0A 01 61"), f),
            pb::decode_error::missing_required);
}

TEST(Pbbp2, MalformedInputIsRejectedWithATypedError) {
  pb::frame f;
  const std::string ok = pb::encode(sample_event());
  // A prefix cut inside a field fails; one cut between fields may be a smaller valid frame, but
  // never the original one, and before the four required scalars it always fails.
  for (size_t n = 0; n < ok.size(); ++n) {
    const pb::decode_error e = pb::decode(ok.substr(0, n), f);
    if (n < 11) {
      EXPECT_NE(e, pb::decode_error::none) << n;
    }
    if (e == pb::decode_error::none) {
      EXPECT_NE(f, sample_event()) << n;
    }
  }
  EXPECT_EQ(pb::decode(from_hex("08 80 80"), f), pb::decode_error::truncated);
  EXPECT_EQ(pb::decode(from_hex("08 FF FF FF FF FF FF FF FF FF 02"), f),
            pb::decode_error::bad_varint);
  EXPECT_EQ(pb::decode(from_hex("08 FF FF FF FF FF FF FF FF FF FF 01"), f),
            pb::decode_error::bad_varint);
  EXPECT_EQ(pb::decode(from_hex("0A 00"), f), pb::decode_error::bad_wire_type);  // SeqID as bytes
  EXPECT_EQ(pb::decode(from_hex("28 01"), f), pb::decode_error::bad_wire_type);  // headers varint
  EXPECT_EQ(pb::decode(from_hex("5B"), f), pb::decode_error::bad_wire_type);     // start group
  EXPECT_EQ(pb::decode(from_hex("00 00"), f), pb::decode_error::bad_wire_type);  // field 0
  EXPECT_EQ(pb::decode(from_hex("42 FF FF FF FF 0F"), f), pb::decode_error::truncated);
  // A length of 2^64-1 must not wrap a pointer.
  EXPECT_EQ(pb::decode(from_hex("42 FF FF FF FF FF FF FF FF FF 01"), f),
            pb::decode_error::truncated);
}

TEST(Pbbp2, LimitsAreEnforced) {
  pb::frame f = fam::make_ping(1);
  for (int i = 0; i < 5; ++i) pb::add_header(f, "h", "v");
  const std::string bytes = pb::encode(f);
  pb::frame out;
  pb::decode_limits l;
  l.max_headers = 5;
  EXPECT_EQ(pb::decode(bytes, out, l), pb::decode_error::too_many_headers);
  l.max_headers = 6;
  EXPECT_EQ(pb::decode(bytes, out, l), pb::decode_error::none);
  l.max_frame_bytes = bytes.size() - 1;
  EXPECT_EQ(pb::decode(bytes, out, l), pb::decode_error::too_large);

  pb::frame big = fam::make_ping(1);
  pb::add_header(big, "k", std::string(100, 'x'));
  pb::decode_limits small;
  small.max_header_field_bytes = 99;
  EXPECT_EQ(pb::decode(pb::encode(big), out, small), pb::decode_error::header_too_large);
}

TEST(Pbbp2, HeaderHelpers) {
  pb::frame f = sample_event();
  pb::add_header(f, "type", "card");  // a later duplicate: the first one counts (as go-sdk)
  EXPECT_EQ(pb::header_value(f, "type"), "event");
  EXPECT_EQ(pb::header_value(f, "absent"), "");
  EXPECT_EQ(pb::find_header(f, "absent"), nullptr);
  EXPECT_EQ(pb::header_uint(f, "sum"), 1u);
  pb::add_header(f, "neg", "-1");
  pb::add_header(f, "big", "4294967296");
  pb::add_header(f, "sp", " 1");
  EXPECT_FALSE(pb::header_uint(f, "neg"));
  EXPECT_FALSE(pb::header_uint(f, "big"));
  EXPECT_FALSE(pb::header_uint(f, "sp"));
  EXPECT_EQ(pb::kind_of(f), pb::frame_kind::event);
  f.method = 7;
  EXPECT_EQ(pb::kind_of(f), pb::frame_kind::unknown_method);
  EXPECT_EQ(pb::kind_of(fam::make_pong(1)), pb::frame_kind::pong);
  pb::frame c = sample_event();
  c.headers[0].value = "card";
  EXPECT_EQ(pb::kind_of(c), pb::frame_kind::card);
  c.headers[0].value = "other";
  EXPECT_EQ(pb::kind_of(c), pb::frame_kind::other_data);
  EXPECT_STREQ(pb::to_string(pb::decode_error::truncated), "truncated");
}
