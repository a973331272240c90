// render/chunker throughput (MB/s of input) for prose, CJK and text without whitespace, 1 KB to
// 10 MB, at a 2000-code-point and a 4096-byte limit; plus measure() alone.
#include "render/chunker.hpp"
#include "render/text_units.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>

namespace {

using patchbay::render::chunk_options;

enum kind { kProse, kCjk, kNoSpace };

// Deterministic input of exactly `size` bytes (cut back to a character boundary, then padded).
std::string make_text(kind k, size_t size) {
  std::mt19937 rng(42);
  std::string s;
  s.reserve(size + 8);
  while (s.size() < size) {
    if (k == kProse) {
      const size_t len = 1 + rng() % 10;
      for (size_t i = 0; i < len; ++i) s += static_cast<char>('a' + rng() % 26);
      const unsigned r = rng() % 100;
      s += r < 2 ? "\n\n" : r < 6 ? "\n" : " ";
    } else if (k == kCjk) {
      const char32_t c = 0x4E00 + rng() % 0x5000;  // 3 bytes each
      s += static_cast<char>(0xE0 | (c >> 12));
      s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (c & 0x3F));
      if (rng() % 60 == 0) s += "\xE3\x80\x82\n";  // 。 and a line break now and then
    } else {
      s += static_cast<char>('a' + rng() % 26);
    }
  }
  while (s.size() > size) s.pop_back();
  while (!s.empty() && !patchbay::render::is_step_boundary(s, s.size())) s.pop_back();
  while (s.size() < size) s += 'x';
  return s;
}

void run(benchmark::State& state, kind k, chunk_options opt) {
  const std::string text = make_text(k, static_cast<size_t>(state.range(0)));
  size_t parts = 0;
  for (auto _ : state) {
    const auto r = patchbay::render::chunk_text(text, opt);
    if (!r.ok()) state.SkipWithError(r.error.c_str());
    parts = r.parts.size();
    benchmark::DoNotOptimize(r.parts.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["parts"] = static_cast<double>(parts);
}

void measure_only(benchmark::State& state, kind k, int32_t unit) {
  const std::string text = make_text(k, static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(patchbay::render::measure(text, unit));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}

constexpr chunk_options k2000cp{2000, PB_UNIT_CODEPOINTS, true};
constexpr chunk_options k4096b{4096, PB_UNIT_BYTES, true};

#define PB_SIZES \
  Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20)->Arg(10 << 20)->Unit(benchmark::kMicrosecond)
BENCHMARK_CAPTURE(run, prose_2000cp, kProse, k2000cp)->PB_SIZES;
BENCHMARK_CAPTURE(run, cjk_2000cp, kCjk, k2000cp)->PB_SIZES;
BENCHMARK_CAPTURE(run, nospace_2000cp, kNoSpace, k2000cp)->PB_SIZES;
BENCHMARK_CAPTURE(run, prose_4096b, kProse, k4096b)->PB_SIZES;
BENCHMARK_CAPTURE(run, cjk_4096b, kCjk, k4096b)->PB_SIZES;
BENCHMARK_CAPTURE(run, nospace_4096b, kNoSpace, k4096b)->PB_SIZES;
BENCHMARK_CAPTURE(measure_only, prose_cp, kProse, PB_UNIT_CODEPOINTS)->Arg(10 << 20);
BENCHMARK_CAPTURE(measure_only, cjk_utf16, kCjk, PB_UNIT_UTF16)->Arg(10 << 20);

}  // namespace
