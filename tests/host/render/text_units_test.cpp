// core/text_units: decoding steps, measuring in each unit, step boundaries, fitting prefixes.
#include "render/text_units.hpp"

#include "chunk_invariants.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace patchbay::render {
namespace {

constexpr int32_t kBytes = PB_UNIT_BYTES, kUtf16 = PB_UNIT_UTF16, kCp = PB_UNIT_CODEPOINTS;

utf8_step at0(std::string_view s) { return decode_utf8(s, 0); }

TEST(DecodeUtf8, WellFormedSequencesAtTheirRangeEdges) {
  struct {
    const char* bytes;
    char32_t cp;
    uint32_t size;
  } cases[] = {
      {"\x00", 0x0, 1},
      {"\x7F", 0x7F, 1},
      {"\xC2\x80", 0x80, 2},
      {"\xDF\xBF", 0x7FF, 2},
      {"\xE0\xA0\x80", 0x800, 3},
      {"\xED\x9F\xBF", 0xD7FF, 3},
      {"\xEE\x80\x80", 0xE000, 3},
      {"\xEF\xBF\xBF", 0xFFFF, 3},
      {"\xF0\x90\x80\x80", 0x10000, 4},
      {"\xF4\x8F\xBF\xBF", 0x10FFFF, 4},
  };
  for (const auto& c : cases) {
    const std::string s = c.cp == 0 ? std::string(1, '\0') : std::string(c.bytes);
    const utf8_step st = at0(s);
    EXPECT_TRUE(st.valid) << std::hex << static_cast<uint32_t>(c.cp);
    EXPECT_EQ(st.cp, c.cp);
    EXPECT_EQ(st.size, c.size);
  }
}

TEST(DecodeUtf8, IllFormedInputIsOneInvalidByte) {
  const char* cases[] = {
      "\x80",              // lone continuation byte
      "\xBF",              //
      "\xC0\x80",          // overlong NUL
      "\xC1\xBF",          // overlong
      "\xE0\x80\x80",      // overlong 3-byte
      "\xED\xA0\x80",      // UTF-16 surrogate D800 encoded (CESU/WTF-8)
      "\xF0\x80\x80\x80",  // overlong 4-byte
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xF5\x80\x80\x80",  // never a lead byte
      "\xFF",              //
      "\xE2\x82",          // truncated at the end of the text
      "\xE2\x82"
      "a",             // truncated, then ASCII
      "\xF0\x9F\x98",  // truncated emoji
  };
  for (const char* c : cases) {
    const utf8_step st = at0(c);
    EXPECT_FALSE(st.valid) << testing::PrintToString(std::string(c));
    EXPECT_EQ(st.size, 1u);
    EXPECT_EQ(st.cp, U'\uFFFD');
  }
}

TEST(DecodeUtf8, DecodesInTheMiddleOfAText) {
  const std::string s =
      "a\xE2\x82\xAC"
      "b";  // a€b
  EXPECT_EQ(decode_utf8(s, 1).cp, U'\u20AC');
  EXPECT_EQ(decode_utf8(s, 1).size, 3u);
  EXPECT_FALSE(decode_utf8(s, 2).valid);  // a continuation byte on its own
  EXPECT_EQ(decode_utf8(s, 4).cp, U'b');
}

TEST(Measure, EachUnit) {
  struct {
    std::string text;
    size_t bytes, utf16, cps;
  } cases[] = {
      {"", 0, 0, 0},
      {"hello", 5, 5, 5},
      {"h\xC3\xA9llo", 6, 5, 5},              // héllo
      {"\xE4\xB8\xAD\xE6\x96\x87", 6, 2, 2},  // 中文
      {"\xF0\x9F\x98\x80", 4, 2, 1},          // 😀 (a surrogate pair)
      {"\xF0\x9D\x84\x9E"
       "x",
       5, 3, 2},                                                   // 𝄞x
      {"\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9", 11, 5, 3},  // 👨‍👩
      {"\xFF\xFE"
       "a\x80",
       4, 4, 4},                  // invalid bytes: 1 each
      {"\xED\xA0\x80", 3, 3, 3},  // encoded surrogate: 3 invalid
      {"\xE2\x82"
       "a",
       3, 3, 3},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.text));
    EXPECT_EQ(measure(c.text, kBytes), c.bytes);
    EXPECT_EQ(measure(c.text, kUtf16), c.utf16);
    EXPECT_EQ(measure(c.text, kCp), c.cps);
    EXPECT_EQ(measure(c.text, 0), c.cps);  // unspecified = code points
  }
}

TEST(Measure, LongAsciiRunsAroundMultibyteCharacters) {
  std::string s(1000, 'a');
  s += "\xF0\x9F\x98\x80";
  s += std::string(13, 'b');
  EXPECT_EQ(measure(s, kCp), 1014u);
  EXPECT_EQ(measure(s, kUtf16), 1015u);
  EXPECT_EQ(measure(s, kBytes), 1017u);
}

TEST(Units, KnownAndWidest) {
  EXPECT_TRUE(known_unit(0));
  EXPECT_TRUE(known_unit(kBytes));
  EXPECT_TRUE(known_unit(kUtf16));
  EXPECT_TRUE(known_unit(kCp));
  EXPECT_FALSE(known_unit(4));
  EXPECT_FALSE(known_unit(-1));
  EXPECT_EQ(max_step_width(kBytes), 4u);
  EXPECT_EQ(max_step_width(kUtf16), 2u);
  EXPECT_EQ(max_step_width(kCp), 1u);
}

TEST(StepBoundary, NeverInsideAWellFormedSequence) {
  const std::string s =
      "a\xE2\x82\xAC\xF0\x9F\x98\x80"
      "b";  // a € 😀 b
  const bool expected[] = {true, true, false, false, true, false, false, false, true, true};
  for (size_t i = 0; i <= s.size(); ++i) EXPECT_EQ(is_step_boundary(s, i), expected[i]) << i;
  EXPECT_FALSE(is_step_boundary(s, s.size() + 1));
}

TEST(StepBoundary, InvalidBytesAreStepsOfTheirOwn) {
  const std::string s =
      "\xE2\x82"
      "a"
      "\x80\x80\x80\x80"
      "\xED\xA0\x80";
  for (size_t i = 0; i <= s.size(); ++i) EXPECT_TRUE(is_step_boundary(s, i)) << i;
  // A stray continuation byte right after a complete sequence is not part of it.
  const std::string t = "\xC3\xA9\x80";
  EXPECT_FALSE(is_step_boundary(t, 1));
  EXPECT_TRUE(is_step_boundary(t, 2));
}

TEST(FitPrefix, EachUnitStopsBeforeACharacterThatDoesNotFit) {
  const std::string s =
      "ab\xF0\x9F\x98\x80"
      "c";  // ab😀c
  EXPECT_EQ(fit_prefix(s, 0, kBytes).bytes, 0u);
  EXPECT_EQ(fit_prefix(s, 2, kBytes).bytes, 2u);
  EXPECT_EQ(fit_prefix(s, 5, kBytes).bytes, 2u);  // 😀 needs 4 bytes
  EXPECT_EQ(fit_prefix(s, 6, kBytes).bytes, 6u);
  EXPECT_EQ(fit_prefix(s, 3, kUtf16).bytes, 2u);  // 😀 needs 2 UTF-16 units
  EXPECT_EQ(fit_prefix(s, 4, kUtf16).bytes, 6u);
  EXPECT_EQ(fit_prefix(s, 4, kUtf16).units, 4u);
  EXPECT_EQ(fit_prefix(s, 3, kCp).bytes, 6u);
  EXPECT_EQ(fit_prefix(s, 3, kCp).units, 3u);
  EXPECT_EQ(fit_prefix(s, 100, kCp).bytes, s.size());
  EXPECT_EQ(fit_prefix(s, 100, kCp).units, 4u);
  EXPECT_EQ(fit_prefix(s, 100, kBytes).units, s.size());
}

TEST(FitPrefix, AgreesWithAnIndependentMeasureOnRandomText) {
  const uint32_t seed = 0xC0FFEE;
  std::mt19937 rng(seed);
  const char* pieces[] = {
      "a",    " ",    "\n",       "\xC3\xA9",    "\xE4\xB8\xAD", "\xF0\x9F\x98\x80",
      "\xFF", "\x80", "\xE2\x82", "\xED\xA0\x80"};
  for (int i = 0; i < 500; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 40);
    for (int j = 0; j < n; ++j) s += pieces[rng() % std::size(pieces)];
    for (int32_t unit : {kBytes, kUtf16, kCp}) {
      ASSERT_EQ(measure(s, unit), chunk_check::units(s, unit)) << "seed " << seed << " case " << i;
      const size_t max = rng() % (s.size() + 3);
      const fitted_prefix f = fit_prefix(s, max, unit);
      const std::string_view pre = std::string_view(s).substr(0, f.bytes);
      ASSERT_TRUE(is_step_boundary(s, f.bytes));
      ASSERT_EQ(f.units, chunk_check::units(pre, unit));
      ASSERT_LE(f.units, max);
      if (f.bytes < s.size()) {  // the next step would not have fitted
        const utf8_step next = decode_utf8(s, f.bytes);
        ASSERT_GT(f.units + step_width(next, unit), max) << "seed " << seed << " case " << i;
      }
    }
  }
}

}  // namespace
}  // namespace patchbay::render
