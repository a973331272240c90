// core/chunker property test: thousands of random texts from adversarial generators, random
// limits (from below the smallest valid one up to above the text) and every unit; each result is
// checked against chunk_check::violation (independent UTF-8 rules, measuring and marker text).
// Seeded: set PATCHBAY_CHUNKER_SEED to replay; the failing case's seed is printed.
#include "render/chunker.hpp"

#include "chunk_invariants.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace patchbay::render {
namespace {

void append_cp(std::string& s, char32_t c) {
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
}

struct generator {
  std::mt19937 rng;
  size_t below(size_t n) { return n == 0 ? 0 : rng() % n; }
  bool chance(int percent) { return static_cast<int>(rng() % 100) < percent; }

  void word(std::string& s, size_t len) {
    for (size_t i = 0; i < len; ++i) s += static_cast<char>('a' + below(26));
  }
  void cjk(std::string& s, size_t len) {
    for (size_t i = 0; i < len; ++i) append_cp(s, chance(8) ? U'\u3002' : 0x4E00 + below(0x5000));
  }
  void emoji(std::string& s) {
    static const char* const kEmoji[] = {
        "\xF0\x9F\x98\x80",                  // 😀
        "\xF0\x9D\x84\x9E",                  // 𝄞 (non-BMP)
        "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",  // 👍🏽
        "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",  // 👨‍👩‍👧
        "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",                                          // 🇫🇷
        "\xE2\x9D\xA4\xEF\xB8\x8F",                                                  // ❤️
        "1\xEF\xB8\x8F\xE2\x83\xA3",                                                 // 1️⃣
        "e\xCC\x81",                                                         // é (combining)
        "\xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xBF",  // 🏴 + tags
    };
    s += kEmoji[below(std::size(kEmoji))];
  }
  void invalid(std::string& s) {
    static const char* const kBad[] = {
        "\x80", "\xBF", "\xC0\xAF", "\xE2\x82", "\xED\xA0\x80", "\xF0\x9F\x98", "\xF4\x90\x80\x80",
        "\xFF", "\xFE", "\xC3"};
    s += kBad[below(std::size(kBad))];
  }
  void separator(std::string& s) {
    static const char* const kSep[] = {" ",  " ",  " ",    "\n",       "\n\n",
                                       "\t", "  ", "\r\n", "\r\n\r\n", "\n\n\n"};
    s += kSep[below(std::size(kSep))];
  }

  // One text of about `target` bytes from one of several shapes.
  std::string text(size_t target) {
    std::string s;
    const int shape = static_cast<int>(below(9));
    while (s.size() < target) {
      switch (shape) {
        case 0:
          word(s, 1 + below(12));
          separator(s);
          break;  // prose
        case 1:
          word(s, 50 + below(2000));
          break;  // no whitespace at all
        case 2:
          cjk(s, 1 + below(80));
          if (chance(20)) separator(s);
          break;
        case 3:
          emoji(s);
          if (chance(15)) separator(s);
          break;
        case 4:
          s += chance(90) ? "\n" : "\n\n\n";
          break;  // only newlines
        case 5:
          s += chance(95) ? " " : "\t";
          break;  // only spaces
        case 6:
          for (size_t i = 0; i < 4; ++i) s += static_cast<char>(rng());
          break;  // bytes
        case 7:
          word(s, below(8));
          invalid(s);
          if (chance(30)) separator(s);
          break;
        default: {  // mixed paragraphs of everything
          const size_t pick = below(6);
          if (pick == 0)
            word(s, 1 + below(15));
          else if (pick == 1)
            cjk(s, 1 + below(10));
          else if (pick == 2)
            emoji(s);
          else if (pick == 3)
            invalid(s);
          else
            separator(s);
        }
      }
    }
    return s;
  }

  uint32_t limit(size_t total, int32_t unit, bool markers) {
    const size_t g = markers ? chunk_check::guaranteed_limit(total, unit) : 4;
    switch (below(7)) {
      case 0:
        return static_cast<uint32_t>(1 + below(g));  // may be too small: error allowed
      case 1:
        return static_cast<uint32_t>(g + below(8));
      case 2:
        return static_cast<uint32_t>(g + below(g));
      case 3:
        return static_cast<uint32_t>(g + below(total + 1));
      case 4:
        return static_cast<uint32_t>(total);  // fits exactly
      case 5:
        return static_cast<uint32_t>(total > 1 ? total - 1 : 1);
      default:
        return static_cast<uint32_t>(g + below(4 * g + 200));
    }
  }
};

// Greedy filling: a part that is not the last holds at least half of its room (a break in the
// usable half) or all of it but less than one character (a hard cut). Returns the first part
// number (1-based) that does not, else 0.
size_t underfilled_part(const std::vector<std::string>& parts, const chunk_options& o) {
  const int32_t unit = o.unit == 0 ? PB_UNIT_CODEPOINTS : o.unit;
  const size_t n = parts.size(), widest = unit == PB_UNIT_BYTES ? 4 : unit == PB_UNIT_UTF16 ? 2 : 1;
  for (size_t k = 1; k < n; ++k) {
    size_t marks = 0;
    if (o.markers && k > 1) marks += measure(continued_marker(k, n), unit);
    if (o.markers) marks += measure(continues_marker(k, n), unit);
    const size_t room = o.limit - marks;
    const size_t piece = measure(parts[k - 1], unit) - marks;
    if (piece < std::min(room - room / 2, room - (widest - 1))) return k;
  }
  return 0;
}

uint32_t base_seed() {
  const char* env = std::getenv("PATCHBAY_CHUNKER_SEED");
  return env ? static_cast<uint32_t>(std::strtoul(env, nullptr, 0)) : 20240611u;
}

TEST(ChunkerProperty, RandomTextsLimitsAndUnits) {
  const uint32_t base = base_seed();
  size_t splits = 0, errors = 0;
  for (uint32_t i = 0; i < 8000; ++i) {
    const uint32_t seed = base + i;
    generator g{std::mt19937(seed)};
    const size_t target = g.chance(10) ? g.below(6000) : g.below(600);
    const std::string text = g.text(target);
    chunk_options o;
    o.unit = static_cast<int32_t>(g.below(4));  // 0 = unspecified (code points)
    o.markers = !g.chance(10);
    const int32_t unit = o.unit == 0 ? PB_UNIT_CODEPOINTS : o.unit;
    o.limit = g.limit(chunk_check::units(text, unit), unit, o.markers);
    if (g.chance(2)) o.limit = 0;
    const chunk_result r = chunk_text(text, o);
    const std::string v = chunk_check::violation(text, o, r);
    ASSERT_EQ(v, "") << "seed " << seed << " (PATCHBAY_CHUNKER_SEED=" << seed
                     << " replays it as case 0): unit " << o.unit << " limit " << o.limit
                     << " markers " << o.markers << " text " << testing::PrintToString(text);
    if (r.ok() && r.parts.size() > 1) {
      ASSERT_EQ(underfilled_part(r.parts, o), 0u)
          << "seed " << seed << " unit " << o.unit << " limit " << o.limit;
    }
    splits += r.parts.size() > 1;
    errors += !r.ok();
  }
  // The generators must actually exercise splitting and the error path.
  std::printf("%zu cases split, %zu errors\n", splits, errors);
  EXPECT_GT(splits, 3000u);
  EXPECT_GT(errors, 100u);
}

TEST(ChunkerProperty, UnknownUnitsAreRejected) {
  for (int32_t unit : {-1, 4, 99}) {
    const chunk_result r = chunk_text("some text", {3, unit, true});
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(chunk_check::violation("some text", {3, unit, true}, r), "");
  }
}

}  // namespace
}  // namespace patchbay::render
