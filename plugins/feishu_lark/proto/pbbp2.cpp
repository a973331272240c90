#include "feishu_lark/proto/pbbp2.hpp"

#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::feishu_family::pbbp2 {
namespace json_util = patchbay::common::json_util;
namespace {

enum wire : uint32_t { wire_varint = 0, wire_fixed64 = 1, wire_len = 2, wire_fixed32 = 5 };

// ---- writing ----

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_tag(std::string& out, uint32_t field, uint32_t wire_type) {
  put_varint(out, (uint64_t{field} << 3) | wire_type);
}

void put_bytes(std::string& out, uint32_t field, std::string_view b) {
  put_tag(out, field, wire_len);
  put_varint(out, b.size());
  out.append(b.data(), b.size());
}

void put_int32(std::string& out, uint32_t field, int32_t v) {
  put_tag(out, field, wire_varint);
  // protobuf int32: negative values are sign-extended to 64 bits (10 bytes on the wire).
  put_varint(out, static_cast<uint64_t>(static_cast<int64_t>(v)));
}

// ---- reading ----

class reader {
 public:
  explicit reader(std::string_view b)
      : p_(reinterpret_cast<const uint8_t*>(b.data())), end_(p_ + b.size()) {}
  bool done() const { return p_ == end_; }

  decode_error varint(uint64_t& v) {
    v = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return decode_error::truncated;
      const uint8_t b = *p_++;
      if (i == 9 && b > 1) return decode_error::bad_varint;
      v |= uint64_t{b & 0x7Fu} << (7 * i);
      if ((b & 0x80) == 0) return decode_error::none;
    }
    return decode_error::bad_varint;
  }

  decode_error bytes(std::string_view& out) {
    uint64_t n = 0;
    if (auto e = varint(n); e != decode_error::none) return e;
    if (n > static_cast<uint64_t>(end_ - p_)) return decode_error::truncated;
    out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return decode_error::none;
  }

  decode_error skip(uint32_t wire_type) {
    uint64_t ignored = 0;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case wire_varint:
        return varint(ignored);
      case wire_fixed64:
        return advance(8);
      case wire_len:
        return bytes(ignored_bytes);
      case wire_fixed32:
        return advance(4);
      default:  // 3/4 = groups (never used by pbbp2), 6/7 undefined
        return decode_error::bad_wire_type;
    }
  }

  // Reads a tag; field 0 is invalid in protobuf and reported as a wire-type error.
  decode_error tag(uint32_t& field, uint32_t& wire_type) {
    uint64_t t = 0;
    if (auto e = varint(t); e != decode_error::none) return e;
    if ((t >> 3) == 0 || (t >> 3) > 0x1FFFFFFF) return decode_error::bad_wire_type;
    field = static_cast<uint32_t>(t >> 3);
    wire_type = static_cast<uint32_t>(t & 7);
    return decode_error::none;
  }

 private:
  decode_error advance(size_t n) {
    if (n > static_cast<size_t>(end_ - p_)) return decode_error::truncated;
    p_ += n;
    return decode_error::none;
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

#define PBBP2_TRY(expr)                                                \
  do {                                                                 \
    if (decode_error e_ = (expr); e_ != decode_error::none) return e_; \
  } while (0)

decode_error decode_header(std::string_view bytes, header& h, const decode_limits& limits) {
  reader r(bytes);
  bool has_key = false;
  bool has_value = false;
  while (!r.done()) {
    uint32_t field = 0;
    uint32_t wt = 0;
    PBBP2_TRY(r.tag(field, wt));
    if (field == 1 || field == 2) {
      if (wt != wire_len) return decode_error::bad_wire_type;
      std::string_view s;
      PBBP2_TRY(r.bytes(s));
      if (s.size() > limits.max_header_field_bytes) return decode_error::header_too_large;
      (field == 1 ? h.key : h.value).assign(s.data(), s.size());
      (field == 1 ? has_key : has_value) = true;
    } else {
      PBBP2_TRY(r.skip(wt));
    }
  }
  return has_key && has_value ? decode_error::none : decode_error::missing_required;
}

}  // namespace

const char* to_string(decode_error e) {
  switch (e) {
    case decode_error::none:
      return "ok";
    case decode_error::too_large:
      return "frame too large";
    case decode_error::truncated:
      return "truncated";
    case decode_error::bad_varint:
      return "malformed varint";
    case decode_error::bad_wire_type:
      return "bad wire type";
    case decode_error::missing_required:
      return "required field missing";
    case decode_error::too_many_headers:
      return "too many headers";
    case decode_error::header_too_large:
      return "header too large";
  }
  return "unknown";
}

std::string encode(const frame& f) {
  std::string out;
  out.reserve(32 + (f.payload ? f.payload->size() : 0) + f.headers.size() * 24);
  put_tag(out, 1, wire_varint);
  put_varint(out, f.seq_id);
  put_tag(out, 2, wire_varint);
  put_varint(out, f.log_id);
  put_int32(out, 3, f.service);
  put_int32(out, 4, f.method);
  std::string h;
  for (const header& x : f.headers) {
    h.clear();
    put_bytes(h, 1, x.key);
    put_bytes(h, 2, x.value);
    put_bytes(out, 5, h);
  }
  if (f.payload_encoding) put_bytes(out, 6, *f.payload_encoding);
  if (f.payload_type) put_bytes(out, 7, *f.payload_type);
  if (f.payload) put_bytes(out, 8, *f.payload);
  if (f.log_id_new) put_bytes(out, 9, *f.log_id_new);
  return out;
}

decode_error decode(std::string_view bytes, frame& out, const decode_limits& limits) {
  out = frame{};
  if (bytes.size() > limits.max_frame_bytes) return decode_error::too_large;
  reader r(bytes);
  unsigned seen = 0;  // bit per required field 1..4
  while (!r.done()) {
    uint32_t field = 0;
    uint32_t wt = 0;
    PBBP2_TRY(r.tag(field, wt));
    if (field >= 1 && field <= 4) {
      if (wt != wire_varint) return decode_error::bad_wire_type;
      uint64_t v = 0;
      PBBP2_TRY(r.varint(v));
      seen |= 1u << field;
      if (field == 1) out.seq_id = v;
      if (field == 2) out.log_id = v;
      // int32 fields keep the low 32 bits, as every protobuf runtime does.
      if (field == 3) out.service = static_cast<int32_t>(static_cast<uint32_t>(v));
      if (field == 4) out.method = static_cast<int32_t>(static_cast<uint32_t>(v));
    } else if (field >= 5 && field <= 9) {
      if (wt != wire_len) return decode_error::bad_wire_type;
      std::string_view s;
      PBBP2_TRY(r.bytes(s));
      switch (field) {
        case 5: {
          if (out.headers.size() >= limits.max_headers) return decode_error::too_many_headers;
          header h;
          PBBP2_TRY(decode_header(s, h, limits));
          out.headers.push_back(std::move(h));
          break;
        }
        case 6:
          out.payload_encoding.emplace(s);
          break;
        case 7:
          out.payload_type.emplace(s);
          break;
        case 8:
          out.payload.emplace(s);
          break;
        default:
          out.log_id_new.emplace(s);
          break;
      }
    } else {
      PBBP2_TRY(r.skip(wt));
    }
  }
  constexpr unsigned required = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4);
  return (seen & required) == required ? decode_error::none : decode_error::missing_required;
}

#undef PBBP2_TRY

const std::string* find_header(const frame& f, std::string_view key) {
  for (const header& h : f.headers)
    if (h.key == key) return &h.value;
  return nullptr;
}

std::string_view header_value(const frame& f, std::string_view key) {
  const std::string* v = find_header(f, key);
  return v ? std::string_view(*v) : std::string_view();
}

std::optional<uint32_t> header_uint(const frame& f, std::string_view key) {
  const std::string* v = find_header(f, key);
  if (!v) return std::nullopt;
  const auto n = json_util::parse_decimal(*v);
  if (!n || *n > 0xFFFFFFFFu) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

void add_header(frame& f, std::string_view key, std::string_view value) {
  f.headers.push_back(header{std::string(key), std::string(value)});
}

frame_kind kind_of(const frame& f) {
  const std::string_view t = header_value(f, header_key::type);
  if (f.method == method_control) {
    if (t == frame_type::ping) return frame_kind::ping;
    if (t == frame_type::pong) return frame_kind::pong;
    return frame_kind::other_control;
  }
  if (f.method == method_data) {
    if (t == frame_type::event) return frame_kind::event;
    if (t == frame_type::card) return frame_kind::card;
    return frame_kind::other_data;
  }
  return frame_kind::unknown_method;
}

}  // namespace patchbay::plugins::feishu_family::pbbp2
