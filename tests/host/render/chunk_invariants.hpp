// The chunker's invariants, checked with code independent of the implementation (its own UTF-8
// rules, its own measuring, its own marker text). Shared by the property test and the fuzz target.
#pragma once

#include "render/chunker.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chunk_check {

// Length of the well-formed UTF-8 sequence at s[0..n), or 0 when s[0] does not begin one.
inline size_t seq_len(const unsigned char* s, size_t n) {
  auto in = [](unsigned c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
  if (n == 0) return 0;
  const unsigned c = s[0];
  if (c <= 0x7F) return 1;
  if (in(c, 0xC2, 0xDF)) return n >= 2 && in(s[1], 0x80, 0xBF) ? 2 : 0;
  if (in(c, 0xE0, 0xEF)) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return n >= 3 && in(s[1], lo, hi) && in(s[2], 0x80, 0xBF) ? 3 : 0;
  }
  if (in(c, 0xF0, 0xF4)) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return n >= 4 && in(s[1], lo, hi) && in(s[2], 0x80, 0xBF) && in(s[3], 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// Byte offsets where a step (well-formed sequence or invalid byte) starts, plus the end.
inline std::vector<bool> step_starts(std::string_view t) {
  std::vector<bool> starts(t.size() + 1, false);
  const auto* s = reinterpret_cast<const unsigned char*>(t.data());
  for (size_t i = 0; i < t.size();) {
    starts[i] = true;
    const size_t l = seq_len(s + i, t.size() - i);
    i += l ? l : 1;
  }
  starts[t.size()] = true;
  return starts;
}

inline size_t units(std::string_view t, int32_t unit) {
  if (unit == PB_UNIT_BYTES) return t.size();
  const auto* s = reinterpret_cast<const unsigned char*>(t.data());
  size_t u = 0;
  for (size_t i = 0; i < t.size();) {
    const size_t l = seq_len(s + i, t.size() - i);
    u += (unit == PB_UNIT_UTF16 && l == 4) ? 2 : 1;
    i += l ? l : 1;
  }
  return u;
}

inline size_t ndigits(size_t n) { return std::to_string(n).size(); }

inline std::string lead_marker(size_t k, size_t n) {
  return "[part " + std::to_string(k) + "/" + std::to_string(n) + " \u2022 continued \u2191]\n\n";
}
inline std::string trail_marker(size_t k, size_t n) {
  return "\n\n[part " + std::to_string(k) + "/" + std::to_string(n) + " \u2022 continues \u2193]";
}

// The smallest limit with which chunk_text must succeed on a text of `total` units: room for both
// markers with k and N as wide as `total` (N <= total), plus the widest character.
inline size_t guaranteed_limit(size_t total, int32_t unit) {
  const size_t marks = units(lead_marker(1, 1), unit) + units(trail_marker(1, 1), unit) - 4;
  return marks + 4 * ndigits(total) + (unit == PB_UNIT_BYTES ? 4 : unit == PB_UNIT_UTF16 ? 2 : 1);
}

// "" when the result obeys every rule for this text and options; otherwise what is wrong.
inline std::string violation(std::string_view text, const patchbay::render::chunk_options& o,
                             const patchbay::render::chunk_result& r) {
  const bool known = o.unit >= 0 && o.unit <= 3;
  const int32_t unit = o.unit == 0 ? PB_UNIT_CODEPOINTS : o.unit;
  if (!known) return r.ok() ? "unknown unit accepted" : "";
  const size_t total = units(text, unit);
  if (!r.ok()) {
    if (!r.parts.empty()) return "error with parts";
    if (o.limit == 0 || total <= o.limit) return "error for a text that fits: " + r.error;
    if (!o.markers && o.limit >= 4) return "error without markers: " + r.error;
    if (o.markers && o.limit >= guaranteed_limit(total, unit))
      return "unexpected error: " + r.error;
    return "";
  }
  if (text.empty()) return r.parts.empty() ? "" : "parts for an empty text";
  if (o.limit == 0 || total <= o.limit) {
    if (r.parts.size() != 1) return "a text that fits gave " + std::to_string(r.parts.size());
    return r.parts[0] == text ? "" : "a text that fits was changed";
  }
  const size_t n = r.parts.size();
  if (n < 2) return "a text that does not fit gave one part";
  const std::vector<bool> starts = step_starts(text);
  std::string joined;
  for (size_t k = 1; k <= n; ++k) {
    const std::string& part = r.parts[k - 1];
    const std::string where = "part " + std::to_string(k) + "/" + std::to_string(n) + ": ";
    if (units(part, unit) > o.limit) return where + "over the limit";
    std::string_view piece = part;
    if (o.markers) {
      const std::string lead = k > 1 ? lead_marker(k, n) : "";
      const std::string trail = k < n ? trail_marker(k, n) : "";
      if (!piece.starts_with(lead)) return where + "wrong leading marker";
      piece.remove_prefix(lead.size());
      if (!piece.ends_with(trail)) return where + "wrong trailing marker";
      piece.remove_suffix(trail.size());
    }
    if (piece.empty()) return where + "empty";
    joined.append(piece);
    if (joined.size() > text.size() || !starts[joined.size()])
      return where + "cut inside a sequence";
  }
  if (joined != text) return "the pieces do not give the text back";
  if (o.markers) {
    const auto stripped = patchbay::render::strip_markers(r.parts);
    if (!stripped || *stripped != text) return "strip_markers does not give the text back";
  }
  return "";
}

}  // namespace chunk_check
