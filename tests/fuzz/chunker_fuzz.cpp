// Fuzz target for render/chunker and render/text_units. Input layout:
//   byte 0   flags: bits 0-1 unit (0 = unspecified, 1 bytes, 2 UTF-16, 3 code points),
//            bit 2 markers off, bit 3 small limit (limit % 160), bit 4 unknown unit (expects error)
//   byte 1-2 limit, little endian (% 4096 unless bit 3); 0 = unlimited
//   rest     the text (any bytes)
// Aborts when chunk_text breaks a rule (chunk_check::violation) or the measuring helpers disagree
// with the independent ones. Built with libFuzzer under PATCHBAY_FUZZ=ON (tests/fuzz), and with a
// plain main() as the corpus replay test chunker_fuzz_corpus (tests/host).
#include "render/chunker.hpp"
#include "render/text_units.hpp"

#include "chunk_invariants.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void fail(const std::string& what, const patchbay::render::chunk_options& o) {
  std::fprintf(stderr, "chunker_fuzz: %s (unit %d, limit %u, markers %d)\n", what.c_str(),
               static_cast<int>(o.unit), static_cast<unsigned>(o.limit), o.markers ? 1 : 0);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace patchbay::render;
  if (size < 3) return 0;
  chunk_options o;
  const uint8_t flags = data[0];
  o.unit = (flags & 0x10) ? 4 + (flags >> 5) : (flags & 3);
  o.markers = (flags & 4) == 0;
  const uint32_t raw = data[1] | (uint32_t{data[2]} << 8);
  o.limit = (flags & 8) ? raw % 160 : raw % 4096;
  const std::string_view text(reinterpret_cast<const char*>(data + 3), size - 3);

  const chunk_result r = chunk_text(text, o);
  const std::string v = chunk_check::violation(text, o, r);
  if (!v.empty()) fail(v, o);

  if (known_unit(o.unit)) {
    const int32_t unit = o.unit == 0 ? PB_UNIT_CODEPOINTS : o.unit;
    const size_t total = chunk_check::units(text, unit);
    if (measure(text, unit) != total) fail("measure disagrees", o);
    const fitted_prefix f = fit_prefix(text, o.limit, unit);
    if (f.units > o.limit || f.bytes > text.size() || !is_step_boundary(text, f.bytes) ||
        f.units != chunk_check::units(text.substr(0, f.bytes), unit))
      fail("fit_prefix returned a bad prefix", o);
    if (f.bytes < text.size() && f.units + step_width(decode_utf8(text, f.bytes), unit) <= o.limit)
      fail("fit_prefix stopped early", o);
  }
  return 0;
}
