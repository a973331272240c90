// Feishu/Lark family: the "pbbp2" frame of the WebSocket long connection, with a minimal protobuf
// wire codec of our own (no libprotobuf: the feishu and lark plugins load side by side in one
// process without descriptor-pool clashes). Facts: docs/protocols/feishu-lark.md §2.3–2.4,
// checked against the SDKs' generated code (go-sdk ws/pbbp2.pb.go struct tags):
//
//   message Header { required string key = 1; required string value = 2; }
//   message Frame  { required uint64 SeqID = 1; required uint64 LogID = 2;
//                    required int32 service = 3; required int32 method = 4;
//                    repeated Header headers = 5; optional string payload_encoding = 6;
//                    optional string payload_type = 7; optional bytes payload = 8;
//                    optional string LogIDNew = 9; }
//
// Encoding writes fields in number order, the four required scalars always, optional fields only
// when present (protobufjs/py style, so our pings are byte-identical to the node SDK's). Decoding
// accepts both that form and go-sdk's (empty optional strings always written), keeps presence so an
// ack echoes exactly what was received, skips unknown fields, and rejects malformed input with a
// typed error: every length is bounds-checked, varints are limited to 10 bytes, and counts and
// sizes are capped by decode_limits, so arbitrary bytes never cause UB or unbounded allocation.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace patchbay::plugins::feishu_family::pbbp2 {

struct header {
  std::string key;
  std::string value;
  bool operator==(const header&) const = default;
};

// Frame.method values.
inline constexpr int32_t method_control = 0;  // ping / pong
inline constexpr int32_t method_data = 1;     // event / card

struct frame {
  uint64_t seq_id = 0;  // echoed exactly (the node SDK loses precision above 2^53; we do not)
  uint64_t log_id = 0;
  int32_t service = 0;  // the service_id query parameter of the WS URL
  int32_t method = 0;
  std::vector<header> headers;
  std::optional<std::string> payload_encoding;
  std::optional<std::string> payload_type;
  std::optional<std::string> payload;  // bytes (UTF-8 JSON for events and pong config)
  std::optional<std::string> log_id_new;
  bool operator==(const frame&) const = default;
};

struct decode_limits {
  size_t max_frame_bytes = 16u << 20;  // the whole message
  size_t max_headers = 64;
  size_t max_header_field_bytes = 8u << 10;  // one key or value
};

enum class decode_error {
  none = 0,
  too_large,         // input longer than max_frame_bytes
  truncated,         // a varint or length runs past the end of its message
  bad_varint,        // more than 10 bytes, or a 10th byte above 1
  bad_wire_type,     // groups (3, 4), undefined types (6, 7), or a known field with the wrong type
  missing_required,  // SeqID, LogID, service or method (or a header's key or value) absent
  too_many_headers,
  header_too_large,
};
const char* to_string(decode_error e);

std::string encode(const frame& f);
// On error `out` is left in an unspecified but valid state.
decode_error decode(std::string_view bytes, frame& out, const decode_limits& limits = {});

// ---- headers (§2.4) ----
namespace header_key {
inline constexpr std::string_view type = "type";
inline constexpr std::string_view message_id = "message_id";  // the WS message, not the IM message
inline constexpr std::string_view sum = "sum";
inline constexpr std::string_view seq = "seq";
inline constexpr std::string_view trace_id = "trace_id";
inline constexpr std::string_view biz_rt = "biz_rt";
inline constexpr std::string_view timestamp = "timestamp";      // go-sdk only; UNVERIFIED
inline constexpr std::string_view instance_id = "instance_id";  // go-sdk only; UNVERIFIED
}  // namespace header_key

namespace frame_type {
inline constexpr std::string_view ping = "ping";
inline constexpr std::string_view pong = "pong";
inline constexpr std::string_view event = "event";
inline constexpr std::string_view card = "card";
}  // namespace frame_type

// The first header with `key` (as go-sdk's Headers.GetString), or nullptr.
const std::string* find_header(const frame& f, std::string_view key);
// Its value, or "" when absent.
std::string_view header_value(const frame& f, std::string_view key);
// A strict unsigned decimal header value that fits in uint32 (sum, seq); nullopt otherwise.
std::optional<uint32_t> header_uint(const frame& f, std::string_view key);
void add_header(frame& f, std::string_view key, std::string_view value);

// What an inbound frame is, from method + the `type` header.
enum class frame_kind { ping, pong, event, card, other_control, other_data, unknown_method };
frame_kind kind_of(const frame& f);

}  // namespace patchbay::plugins::feishu_family::pbbp2
