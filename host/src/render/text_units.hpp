// Measuring UTF-8 text in the units chat platforms count their message limits in (pb_text_unit).
//
// UNITS
//   PB_UNIT_BYTES       UTF-8 bytes
//   PB_UNIT_UTF16       UTF-16 code units: 2 for a code point above U+FFFF (a surrogate pair), else
//   1 PB_UNIT_CODEPOINTS  Unicode code points 0 (unspecified) and any unknown value measure as
//   PB_UNIT_CODEPOINTS; use known_unit() first when an unknown value must be an error.
//
// STEPS AND INVALID UTF-8
//   Text is read left to right as a sequence of "steps". A step is either one well-formed UTF-8
//   sequence (strict: Unicode Table 3-7, so no overlong forms, no surrogates U+D800..U+DFFF,
//   nothing above U+10FFFF) or ONE invalid byte: any byte that does not begin a complete
//   well-formed sequence. An invalid byte counts as one unit in every unit (1 byte; 1 UTF-16 unit
//   and 1 code point, as its U+FFFD replacement would). Every text, valid or not, has exactly one
//   such decomposition, and a position is a "step boundary" when it does not fall inside a
//   well-formed sequence. Splitting only at step boundaries never cuts a code point, hence never
//   separates the halves of a UTF-16 surrogate pair.
//
// THREAD SAFETY: pure functions without state; safe from any thread.
#pragma once

#include <patchbay/pb_types.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace patchbay::render {

// One step of decoding (see STEPS above).
struct utf8_step {
  char32_t cp = 0;    // the code point; U+FFFD for an invalid byte
  uint32_t size = 0;  // bytes consumed: 1..4 for a well-formed sequence, 1 for an invalid byte
  bool valid = false;
};

// Decodes the step starting at byte `pos`. Precondition: pos < text.size(). Inline: it is the
// inner loop of every scan (and returning the struct through memory costs more than decoding).
inline utf8_step decode_utf8(std::string_view text, size_t pos) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  const size_t n = text.size() - pos;
  const unsigned c0 = s[0];
  auto cont = [](unsigned c) { return (c & 0xC0u) == 0x80u; };
  if (c0 < 0x80) return {static_cast<char32_t>(c0), 1, true};
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    if (n >= 2 && cont(s[1]))
      return {static_cast<char32_t>(((c0 & 0x1Fu) << 6) | (s[1] & 0x3Fu)), 2, true};
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    // E0 needs A0..BF next (no overlongs); ED needs 80..9F (no surrogates).
    const unsigned lo = c0 == 0xE0 ? 0xA0 : 0x80, hi = c0 == 0xED ? 0x9F : 0xBF;
    if (n >= 3 && s[1] >= lo && s[1] <= hi && cont(s[2]))
      return {static_cast<char32_t>(((c0 & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu)),
              3, true};
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    // F0 needs 90..BF next (no overlongs); F4 needs 80..8F (nothing above U+10FFFF).
    const unsigned lo = c0 == 0xF0 ? 0x90 : 0x80, hi = c0 == 0xF4 ? 0x8F : 0xBF;
    if (n >= 4 && s[1] >= lo && s[1] <= hi && cont(s[2]) && cont(s[3]))
      return {static_cast<char32_t>(((c0 & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) |
                                    ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu)),
              4, true};
  }
  return {U'\uFFFD', 1, false};
}

// True for PB_UNIT_BYTES, PB_UNIT_UTF16, PB_UNIT_CODEPOINTS and 0 (= PB_UNIT_CODEPOINTS).
bool known_unit(int32_t unit) noexcept;

// The width of one step in `unit`.
inline uint32_t step_width(const utf8_step& s, int32_t unit) noexcept {
  if (unit == PB_UNIT_BYTES) return s.size;
  if (unit == PB_UNIT_UTF16) return (s.valid && s.cp >= 0x10000) ? 2u : 1u;
  return 1;
}

// The widest a single step can be in `unit`: 4 bytes, 2 UTF-16 units, 1 code point.
uint32_t max_step_width(int32_t unit) noexcept;

// The length of `text` in `unit`. Linear time; PB_UNIT_BYTES is O(1).
size_t measure(std::string_view text, int32_t unit) noexcept;

// The number of ASCII bytes (one step and one unit each, in every unit) starting at `pos`, at
// most `max`. Word-at-a-time: lets scanners skip plain text quickly.
size_t ascii_run(std::string_view text, size_t pos, size_t max) noexcept;

// True when `pos` (0..size) is a step boundary, i.e. not inside a well-formed sequence. O(1).
bool is_step_boundary(std::string_view text, size_t pos) noexcept;

// The longest prefix of `text` that ends at a step boundary and measures at most `max_units`.
struct fitted_prefix {
  size_t bytes = 0;  // its length in bytes
  size_t units = 0;  // its length in `unit`
};
fitted_prefix fit_prefix(std::string_view text, size_t max_units, int32_t unit) noexcept;

}  // namespace patchbay::render
