#include "render/text_units.hpp"

#include <algorithm>
#include <cstring>

namespace patchbay::render {
namespace {

constexpr bool is_cont(unsigned char c) noexcept { return (c & 0xC0u) == 0x80u; }
// Number of leading ASCII bytes in [p, end), scanning 8 bytes at a time.
size_t ascii_span(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned char* q = p;
  while (end - q >= 8) {
    uint64_t w;
    std::memcpy(&w, q, 8);
    if (w & 0x8080808080808080ull) break;
    q += 8;
  }
  while (q < end && *q < 0x80) ++q;
  return static_cast<size_t>(q - p);
}

}  // namespace

size_t ascii_run(std::string_view text, size_t pos, size_t max) noexcept {
  if (pos >= text.size()) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  return ascii_span(p, p + std::min(max, text.size() - pos));
}

bool known_unit(int32_t unit) noexcept {
  return unit == 0 || unit == PB_UNIT_BYTES || unit == PB_UNIT_UTF16 || unit == PB_UNIT_CODEPOINTS;
}

uint32_t max_step_width(int32_t unit) noexcept {
  if (unit == PB_UNIT_BYTES) return 4;
  if (unit == PB_UNIT_UTF16) return 2;
  return 1;
}

size_t measure(std::string_view text, int32_t unit) noexcept {
  if (unit == PB_UNIT_BYTES) return text.size();
  const auto* base = reinterpret_cast<const unsigned char*>(text.data());
  size_t units = 0, pos = 0;
  while (pos < text.size()) {
    const size_t run = ascii_span(base + pos, base + text.size());
    units += run;
    pos += run;
    if (pos >= text.size()) break;
    const utf8_step s = decode_utf8(text, pos);
    units += step_width(s, unit);
    pos += s.size;
  }
  return units;
}

bool is_step_boundary(std::string_view text, size_t pos) noexcept {
  if (pos == 0 || pos >= text.size()) return pos <= text.size();
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  if (!is_cont(s[pos])) return true;  // a well-formed sequence continues only with 80..BF
  // Continuation bytes never start a sequence, so the only sequence that can contain `pos` starts
  // at the nearest non-continuation byte at most 3 bytes back.
  for (size_t back = 1; back <= 3 && back <= pos; ++back) {
    const size_t q = pos - back;
    if (is_cont(s[q])) continue;
    const utf8_step st = decode_utf8(text, q);
    return !(st.valid && q + st.size > pos);
  }
  return true;
}

fitted_prefix fit_prefix(std::string_view text, size_t max_units, int32_t unit) noexcept {
  if (unit == PB_UNIT_BYTES) {
    if (max_units >= text.size()) return {text.size(), text.size()};
    size_t b = max_units;
    while (b > 0 && !is_step_boundary(text, b)) --b;
    return {b, b};
  }
  const auto* base = reinterpret_cast<const unsigned char*>(text.data());
  size_t units = 0, pos = 0;
  while (pos < text.size() && units < max_units) {
    const size_t room = max_units - units;
    const unsigned char* end = base + pos + std::min(room, text.size() - pos);
    const size_t run = ascii_span(base + pos, end);
    units += run;
    pos += run;
    if (pos >= text.size() || units >= max_units) break;
    const utf8_step s = decode_utf8(text, pos);
    const uint32_t w = step_width(s, unit);
    if (units + w > max_units) break;
    units += w;
    pos += s.size;
  }
  return {pos, units};
}

}  // namespace patchbay::render
