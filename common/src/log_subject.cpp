#include "patchbay/common/log_subject.hpp"

namespace patchbay::common {
namespace {

// The tag: SOH, then "channel" and/or "turn" fields as key US value, separated by US, then STX.
constexpr char tag_start = '\x01';
constexpr char tag_end = '\x02';
constexpr char tag_sep = '\x1f';

void append_id(std::string& out, std::string_view id) {
  for (char c : id) out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
}

}  // namespace

std::string log_tag(log_subject s) {
  if (s.channel.empty() && s.turn.empty()) return {};
  std::string out(1, tag_start);
  if (!s.channel.empty()) {
    out.append("channel").push_back(tag_sep);
    append_id(out, s.channel);
  }
  if (!s.turn.empty()) {
    if (!s.channel.empty()) out += tag_sep;
    out.append("turn").push_back(tag_sep);
    append_id(out, s.turn);
  }
  out += tag_end;
  return out;
}

bool log_is_tagged(std::string_view payload) {
  return !payload.empty() && payload.front() == tag_start;
}

tagged_payload log_untag(std::string_view payload) {
  tagged_payload out;
  out.text = payload;
  if (!log_is_tagged(payload)) return out;
  auto end = payload.find(tag_end);
  if (end == std::string_view::npos) return out;
  std::string_view fields = payload.substr(1, end - 1);
  out.text = payload.substr(end + 1);
  // key US value [US key US value]
  while (!fields.empty()) {
    auto k_end = fields.find(tag_sep);
    if (k_end == std::string_view::npos) break;
    std::string_view key = fields.substr(0, k_end);
    fields.remove_prefix(k_end + 1);
    auto v_end = fields.find(tag_sep);
    std::string_view value = fields.substr(0, v_end);
    fields.remove_prefix(v_end == std::string_view::npos ? fields.size() : v_end + 1);
    if (key == "channel")
      out.channel = value;
    else if (key == "turn")
      out.turn = value;
  }
  return out;
}

}  // namespace patchbay::common
