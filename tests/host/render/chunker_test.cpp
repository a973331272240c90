// core/chunker: explicit cases (exact parts), part counts at digit boundaries, errors, stripping.
#include "render/chunker.hpp"

#include "chunk_invariants.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace patchbay::render {
namespace {

using parts_t = std::vector<std::string>;
constexpr int32_t kBytes = PB_UNIT_BYTES, kUtf16 = PB_UNIT_UTF16, kCp = PB_UNIT_CODEPOINTS;

chunk_result chunk(std::string_view text, uint32_t limit, int32_t unit = kCp, bool markers = true) {
  const chunk_options o{limit, unit, markers};
  chunk_result r = chunk_text(text, o);
  EXPECT_EQ(chunk_check::violation(text, o, r), "");
  return r;
}
parts_t plain(std::string_view text, uint32_t limit, int32_t unit = kCp) {
  chunk_result r = chunk(text, limit, unit, false);
  EXPECT_TRUE(r.ok()) << r.error;
  return r.parts;
}
std::string rep(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(Chunker, MarkerTextIsExact) {
  EXPECT_EQ(continues_marker(1, 2), "\n\n[part 1/2 \u2022 continues \u2193]");
  EXPECT_EQ(continued_marker(10, 123), "[part 10/123 \u2022 continued \u2191]\n\n");
  EXPECT_EQ(measure(continues_marker(1, 2), kCp), 26u);
  EXPECT_EQ(measure(continued_marker(2, 2), kUtf16), 26u);
  EXPECT_EQ(measure(continued_marker(2, 2), kBytes), 30u);
}

TEST(Chunker, TextThatFitsIsOnePartWithoutMarker) {
  EXPECT_EQ(chunk("hello", 5).parts, parts_t{"hello"});
  EXPECT_EQ(chunk("hello", 500).parts, parts_t{"hello"});
  EXPECT_EQ(chunk("\xF0\x9F\x98\x80", 2, kUtf16).parts, parts_t{"\xF0\x9F\x98\x80"});
  EXPECT_EQ(chunk(std::string(100, 'x'), 100).parts.size(), 1u);
  EXPECT_EQ(chunk(std::string(101, 'x'), 100).parts.size(), 2u);
}

TEST(Chunker, ZeroLimitIsUnlimitedAndEmptyTextHasNoPart) {
  EXPECT_EQ(chunk(std::string(1 << 20, 'x'), 0).parts.size(), 1u);
  const chunk_result r = chunk("", 10);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.parts.empty());
}

TEST(Chunker, UnitZeroMeansCodePointsAndUnknownUnitsAreErrors) {
  const std::string text = rep("\xE4\xB8\xAD", 100);  // 100 × 中
  EXPECT_EQ(chunk(text, 60, 0).parts, chunk(text, 60, kCp).parts);
  const chunk_result r = chunk_text(text, {60, 7, true});
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("unknown text unit"), std::string::npos);
  EXPECT_TRUE(r.parts.empty());
}

TEST(Chunker, TwoPartsRenderedExactly) {
  const std::string text = "Hello there, this is part one.\n\nAnd here is the second part of it.";
  EXPECT_EQ(chunk(text, 60).parts,
            (parts_t{"Hello there, this is part one.\n\n\n\n[part 1/2 \u2022 continues \u2193]",
                     "[part 2/2 \u2022 continued \u2191]\n\nAnd here is the second part of it."}));
}

TEST(Chunker, MiddlePartCarriesBothMarkers) {
  // 70 code points: parts 1 and 3 have 44 left after one marker, part 2 has 18 after two; the
  // 48 characters after part 1 do not fit in a last part.
  const std::string text = std::string(44, 'x') + std::string(18, 'y') + std::string(30, 'z');
  EXPECT_EQ(chunk(text, 70).parts,
            (parts_t{std::string(44, 'x') + continues_marker(1, 3),
                     continued_marker(2, 3) + std::string(18, 'y') + continues_marker(2, 3),
                     continued_marker(3, 3) + std::string(30, 'z')}));
}

// Preferences, without markers so that the budget is the limit (20 code points, usable half 10+).
TEST(ChunkerBreaks, ParagraphBeatsALaterLineBreakAndSpace) {
  EXPECT_EQ(plain("aaaa bbbb\n\ncc dd\neeee ffff gggg", 20),
            (parts_t{"aaaa bbbb\n\n", "cc dd\neeee ffff gggg"}));
}
TEST(ChunkerBreaks, LineBreakBeatsALaterSpace) {
  EXPECT_EQ(plain("aaaa bbbb cc\ndddd eeee ffff", 20),
            (parts_t{"aaaa bbbb cc\n", "dddd eeee ffff"}));
}
TEST(ChunkerBreaks, LastSpaceThatFits) {
  EXPECT_EQ(plain("aaaa bbbb cccc dddd eeee", 20), (parts_t{"aaaa bbbb cccc dddd ", "eeee"}));
}
TEST(ChunkerBreaks, HardCutWithoutWhitespace) {
  EXPECT_EQ(plain(std::string(45, 'x'), 20),
            (parts_t{std::string(20, 'x'), std::string(20, 'x'), std::string(5, 'x')}));
  const std::string zh = "\xE4\xB8\xAD";
  EXPECT_EQ(plain(rep(zh, 25), 20), (parts_t{rep(zh, 20), rep(zh, 5)}));
}
TEST(ChunkerBreaks, BreakInTheFirstHalfOfTheWindowIsNotUsed) {
  // The paragraph break after "aa" would leave a 4-character part: the last space wins instead.
  EXPECT_EQ(plain("aa\n\nbbbbbbbb cccccccc dddd", 20),
            (parts_t{"aa\n\nbbbbbbbb ", "cccccccc dddd"}));
}
TEST(ChunkerBreaks, WhitespaceRunStaysWithTheEarlierPart) {
  EXPECT_EQ(plain("aaaaaaaaaaaa\n\n\n\nbbbbbbbbb", 20),
            (parts_t{"aaaaaaaaaaaa\n\n\n\n", "bbbbbbbbb"}));
  EXPECT_EQ(plain("aaaaaaaaaaaaaaa    bbbbbbbbb", 20),
            (parts_t{"aaaaaaaaaaaaaaa    ", "bbbbbbbbb"}));
}
TEST(ChunkerBreaks, CrLfParagraphsAndNeverBetweenCrAndLf) {
  EXPECT_EQ(plain("aaaaaaaaaa\r\n\r\nbbbbbbbbbbbbb", 20),
            (parts_t{"aaaaaaaaaa\r\n\r\n", "bbbbbbbbbbbbb"}));
  EXPECT_EQ(plain(std::string(19, 'x') + "\r\n" + std::string(10, 'y'), 20),
            (parts_t{std::string(19, 'x'), "\r\n" + std::string(10, 'y')}));
}
TEST(ChunkerBreaks, KeepsEmojiSequencesTogetherWhenItCan) {
  const std::string thumbs_medium = "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD";  // 👍🏽
  EXPECT_EQ(plain("abcdefghi" + thumbs_medium + "xyz", 10),
            (parts_t{"abcdefghi", thumbs_medium + "xyz"}));
  const std::string family =  // 👨‍👩‍👧
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
  EXPECT_EQ(plain("abcdefgh" + family, 10), (parts_t{"abcdefgh", family}));
  const std::string fr = "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",
                    de = "\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA";
  EXPECT_EQ(plain("abcdefg" + fr + de, 10), (parts_t{"abcdefg" + fr, de}));
  const std::string heart = "\xE2\x9D\xA4\xEF\xB8\x8F";  // ❤️ (with VS16)
  EXPECT_EQ(plain("abcdefghi" + heart + "x", 10), (parts_t{"abcdefghi", heart + "x"}));
}
TEST(ChunkerBreaks, HugeClusterFallsBackToHardCuts) {
  const std::string accent = "\xCC\x81";  // U+0301 combining acute
  const parts_t p = plain("a" + rep(accent, 30), 10);
  EXPECT_EQ(p, (parts_t{"a" + rep(accent, 9), rep(accent, 10), rep(accent, 10), accent}));
}

TEST(ChunkerUnits, NeverSplitsASurrogatePairInUtf16) {
  const std::string grin = "\xF0\x9F\x98\x80";
  EXPECT_EQ(plain("a" + rep(grin, 5), 4, kUtf16),
            (parts_t{"a" + grin, rep(grin, 2), rep(grin, 2)}));
  EXPECT_EQ(plain(rep(grin, 10), 5, kUtf16), parts_t(5, rep(grin, 2)));
  const chunk_result r = chunk(rep(grin, 3), 1, kUtf16, false);
  EXPECT_FALSE(r.ok());
}
TEST(ChunkerUnits, BytesNeverSplitASequence) {
  const std::string zh = "\xE4\xB8\xAD";
  EXPECT_EQ(plain(rep(zh, 10), 10, kBytes), (parts_t{rep(zh, 3), rep(zh, 3), rep(zh, 3), zh}));
  EXPECT_FALSE(chunk("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 3, kBytes, false).ok());
  EXPECT_EQ(plain("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 4, kBytes),
            (parts_t{"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"}));
}
TEST(ChunkerUnits, InvalidBytesAreOneUnitEachAndValidSequencesStayWhole) {
  // ab € then a truncated € (two invalid bytes) then cd; 4-byte limit.
  EXPECT_EQ(plain("ab\xE2\x82\xAC\xE2\x82"
                  "cd",
                  4, kBytes),
            (parts_t{"ab", "\xE2\x82\xAC\xE2",
                     "\x82"
                     "cd"}));
  EXPECT_EQ(plain(std::string(10, '\xFF'), 4, kUtf16),
            (parts_t{"\xFF\xFF\xFF\xFF", "\xFF\xFF\xFF\xFF", "\xFF\xFF"}));
  for (int32_t unit : {kBytes, kUtf16, kCp}) {  // the invariants are checked inside chunk()
    EXPECT_TRUE(chunk(std::string(300, '\x80') + "\xED\xA0\x80\xC0\xAF", 70, unit).ok());
  }
}

TEST(ChunkerErrors, LimitTooSmallForMarkersIsAnError) {
  const std::string text(100, 'x');
  for (uint32_t limit : {1u, 26u, 27u, 52u}) {
    const chunk_result r = chunk(text, limit);
    EXPECT_FALSE(r.ok()) << limit;
    EXPECT_NE(r.error.find("too small"), std::string::npos) << r.error;
    EXPECT_TRUE(r.parts.empty());
  }
}
TEST(ChunkerErrors, SmallestWorkingLimit) {
  // 53 code points: parts 2..8 hold one character between two markers of 26 each.
  EXPECT_EQ(chunk(std::string(61, 'x'), 53).parts.size(), 9u);
  // A 62nd character needs a 10th part, whose two-digit markers no longer fit.
  EXPECT_FALSE(chunk(std::string(62, 'x'), 53).ok());
}

// Sum of the room n parts leave for text when the markers print N as `shown`.
size_t capacity(size_t n, uint32_t limit, int32_t unit, size_t shown) {
  if (n == 1) return limit;
  size_t room = 0;
  for (size_t k = 1; k <= n; ++k) {
    size_t marks = 0;
    if (k > 1) marks += measure(continued_marker(k, shown), unit);
    if (k < n) marks += measure(continues_marker(k, shown), unit);
    room += limit - marks;
  }
  return room;
}

// The expected part count for a text without any break opportunity: every part but the last is
// filled to its room, so N is the smallest m whose m parts (markers printed with the real m) hold
// the text. O(1) capacity per m from digit sums.
struct count_model {
  uint32_t limit;
  int32_t unit;
  size_t lead_base = measure(continued_marker(1, 1), unit) - 2;
  size_t trail_base = measure(continues_marker(1, 1), unit) - 2;
  std::vector<size_t> dsum{0};  // dsum[m] = digits(1) + ... + digits(m)

  size_t cap(size_t m) {
    while (dsum.size() <= m) dsum.push_back(dsum.back() + std::to_string(dsum.size()).size());
    if (m == 1) return limit;
    const size_t dm = std::to_string(m).size();
    const size_t marks = (m - 1) * (lead_base + dm) + (dsum[m] - 1) +  // leads of parts 2..m
                         (m - 1) * (trail_base + dm) + dsum[m - 1];    // trails of 1..m-1
    return m * limit - marks;
  }
  size_t parts_for(size_t len) {
    for (size_t m = 1;; ++m)
      if (cap(m) >= len) return m;
  }
};

TEST(ChunkerCounts, ModelAgreesWithMeasuredMarkers) {
  for (int32_t unit : {kBytes, kUtf16, kCp}) {
    count_model model{120, unit};
    for (size_t n : {1u, 2u, 9u, 10u, 11u, 99u, 100u, 101u})
      EXPECT_EQ(model.cap(n), capacity(n, 120, unit, n)) << n;
  }
}

TEST(ChunkerCounts, ExactPartCountsAtDigitBoundaries) {
  struct {
    size_t n;
    uint32_t limit;
  } cases[] = {{1, 120},  {2, 120},  {9, 120},   {10, 120},
               {11, 120}, {99, 400}, {100, 400}, {1000, 2500}};
  for (int32_t unit : {kBytes, kUtf16, kCp}) {
    for (const auto& c : cases) {
      if (c.n == 1000 && unit != kCp) continue;  // 2.4 MB texts: once is enough
      SCOPED_TRACE("unit " + std::to_string(unit) + " n " + std::to_string(c.n));
      count_model model{c.limit, unit};
      // The largest and the smallest text that need exactly n parts, and one over.
      const size_t largest = model.cap(c.n);
      size_t smallest = 1;
      for (size_t m = 1; m < c.n; ++m) smallest = std::max(smallest, model.cap(m) + 1);
      ASSERT_EQ(model.parts_for(largest), c.n);
      ASSERT_EQ(model.parts_for(smallest), c.n);
      EXPECT_EQ(chunk(std::string(largest, 'x'), c.limit, unit).parts.size(), c.n);
      EXPECT_EQ(chunk(std::string(smallest, 'x'), c.limit, unit).parts.size(), c.n);
      EXPECT_EQ(chunk(std::string(largest + 1, 'x'), c.limit, unit).parts.size(),
                model.parts_for(largest + 1));
    }
  }
}

TEST(ChunkerCounts, MarkerGrowthAtTenParts) {
  // The classic bug: this text fits in 10 parts if N is printed with one digit, but with the real
  // "/10" every marker is one unit wider, so it needs 11 parts.
  const uint32_t limit = 80;
  const size_t len = capacity(10, limit, kCp, 10) + 1;
  ASSERT_LE(len, capacity(10, limit, kCp, 9));
  const chunk_result r = chunk(std::string(len, 'x'), limit);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.parts.size(), 11u);
  for (const std::string& p : r.parts) EXPECT_LE(measure(p, kCp), limit);
}

TEST(ChunkerCounts, AddingADigitCanCostMoreThanAPartHolds) {
  // At 100 code points a 100th part holds less than what the wider "/100" markers take from the
  // other 99: a text that needs more than 99 parts needs many more. No count between is valid.
  count_model model{100, kCp};
  const size_t len = model.cap(99) + 1;
  const size_t n = model.parts_for(len);
  EXPECT_GT(n, 101u);
  EXPECT_EQ(chunk(std::string(len, 'x'), 100).parts.size(), n);
}

TEST(ChunkerCounts, MoreThanTenThousandParts) {
  count_model model{100, kCp};
  const size_t len = model.cap(12345);
  const size_t n = model.parts_for(len);
  ASSERT_GT(n, 10000u);
  const chunk_result r = chunk(std::string(len, 'x'), 100);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.parts.size(), n);
  EXPECT_TRUE(r.parts.front().ends_with(continues_marker(1, n)));
  EXPECT_TRUE(r.parts.back().starts_with(continued_marker(n, n)));
}

TEST(ChunkerStrip, InverseOfChunkAndExact) {
  EXPECT_EQ(strip_markers({}), "");
  const parts_t lookalike{continued_marker(2, 2) + "x"};  // one part: never stripped
  EXPECT_EQ(strip_markers(lookalike), lookalike[0]);
  // A text full of marker look-alikes still comes back exactly.
  const std::string text = rep(continues_marker(1, 2) + " " + continued_marker(2, 3) + "\n", 20);
  const chunk_result r = chunk(text, 90);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_GT(r.parts.size(), 2u);
  EXPECT_EQ(strip_markers(r.parts), text);
  parts_t swapped = r.parts;
  std::swap(swapped[0], swapped[1]);
  EXPECT_EQ(strip_markers(swapped), std::nullopt);
  parts_t truncated = r.parts;
  truncated.pop_back();
  EXPECT_EQ(strip_markers(truncated), std::nullopt);
}

TEST(ChunkerStrip, WithoutMarkersConcatenationIsTheInverse) {
  const std::string text = rep("word ", 100);
  const parts_t p = plain(text, 33);
  std::string joined;
  for (const auto& s : p) joined += s;
  EXPECT_EQ(joined, text);
}

}  // namespace
}  // namespace patchbay::render
