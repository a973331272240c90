#include "render/chunker.hpp"

#include <string>

namespace patchbay::render {
namespace {

// The marker text around the two numbers: lead = kLeadHead k "/" N kLeadTail, trail likewise.
constexpr std::string_view kLeadHead = "[part ";
constexpr std::string_view kLeadTail = " \xE2\x80\xA2 continued \xE2\x86\x91]\n\n";  // • ↑
constexpr std::string_view kTrailHead = "\n\n[part ";
constexpr std::string_view kTrailTail = " \xE2\x80\xA2 continues \xE2\x86\x93]";  // • ↓
constexpr int kMaxPasses = 24;  // D strictly increases and never exceeds 20 (see the header)

size_t digits(size_t n) noexcept {
  size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

const char* unit_name(int32_t unit) noexcept {
  if (unit == PB_UNIT_BYTES) return "bytes";
  if (unit == PB_UNIT_UTF16) return "UTF-16 units";
  return "code points";
}

std::string marker(std::string_view head, size_t k, size_t n, std::string_view tail) {
  std::string s;
  s.reserve(head.size() + tail.size() + 42);
  s.append(head).append(std::to_string(k)).append(1, '/').append(std::to_string(n)).append(tail);
  return s;
}

// Marker widths in one unit: base (all but the digits) + digits(k) + digits(N). The digits and
// '/' are ASCII, one unit each in every unit.
struct marker_widths {
  size_t lead_base, trail_base;
  explicit marker_widths(int32_t unit)
      : lead_base(measure(kLeadHead, unit) + 1 + measure(kLeadTail, unit)),
        trail_base(measure(kTrailHead, unit) + 1 + measure(kTrailTail, unit)) {}
};

// Code points that attach to the one before: a cut must not fall just before them.
bool is_extend(char32_t c) noexcept {
  return c == 0x200D ||                   // zero width joiner
         (c >= 0x0300 && c <= 0x036F) ||  // combining diacritical marks
         (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
         (c >= 0x20D0 && c <= 0x20FF) ||    // combining marks for symbols (keycaps)
         (c >= 0xFE00 && c <= 0xFE0F) ||    // variation selectors (emoji presentation)
         (c >= 0xFE20 && c <= 0xFE2F) ||    // combining half marks
         (c >= 0x1F3FB && c <= 0x1F3FF) ||  // skin tone modifiers
         (c >= 0xE0020 && c <= 0xE007F) ||  // emoji tag sequences
         (c >= 0xE0100 && c <= 0xE01EF);    // variation selectors supplement
}

bool is_regional(char32_t c) noexcept { return c >= 0x1F1E6 && c <= 0x1F1FF; }

struct cut {
  size_t end = 0;    // byte offset in the text where the piece ends
  size_t units = 0;  // the piece's length in the unit
};

enum { kPara, kLine, kSpace, kChar, kClasses };

// Where the piece starting at `pos` ends, given `budget` >= the width of the next step (so the
// piece is never empty). See WHERE A PIECE ENDS in the header. One pass over the window.
cut find_cut(std::string_view text, size_t pos, size_t budget, int32_t unit) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t half = budget - budget / 2;  // ceil(budget / 2): the usable half starts here
  cut best[kClasses]{};                     // end == 0: none found (a real end is > pos >= 0)
  size_t p = pos, units = 0, ri_run = 0;
  char32_t prev = 0;
  // Records position p (between `prev`, already in the piece, and `next`) as a candidate.
  auto consider = [&](char32_t next, bool has_next) {
    if (p == pos || units < half) return;
    if (prev == 0x200D || (prev == U'\r' && next == U'\n')) return;
    if (has_next && (is_extend(next) || (is_regional(next) && ri_run % 2 == 1))) return;
    best[kChar] = {p, units};
    const unsigned char b1 = s[p - 1];
    if (b1 == '\n') {
      best[kLine] = {p, units};
      if (p >= 2 && (s[p - 2] == '\n' || (p >= 3 && s[p - 2] == '\r' && s[p - 3] == '\n')))
        best[kPara] = {p, units};
    } else if (b1 == ' ' || b1 == '\t') {
      best[kSpace] = {p, units};
    }
  };
  // Before the usable half nothing is recorded: only `prev` and `ri_run` must be kept. Plain
  // ASCII there is skipped a word at a time (half <= budget, so it all fits).
  while (p < text.size() && units < half) {
    if (const size_t run = ascii_run(text, p, half - units); run > 0) {
      p += run;
      units += run;
      prev = s[p - 1];
      ri_run = 0;
      continue;
    }
    const utf8_step st = decode_utf8(text, p);
    const uint32_t w = step_width(st, unit);
    if (units + w > budget) break;
    ri_run = is_regional(st.cp) ? ri_run + 1 : 0;
    prev = st.cp;
    units += w;
    p += st.size;
  }
  bool has_next = false;
  while (p < text.size()) {
    const utf8_step st = s[p] < 0x80 ? utf8_step{s[p], 1, true} : decode_utf8(text, p);
    const uint32_t w = step_width(st, unit);
    consider(st.cp, true);
    if (units + w > budget) {
      has_next = true;
      break;
    }
    ri_run = is_regional(st.cp) ? ri_run + 1 : 0;
    prev = st.cp;
    units += w;
    p += st.size;
  }
  if (!has_next) consider(0, false);
  for (const cut& c : best)
    if (c.end != 0) return c;
  return {p, units};  // hard cut at the end of the window
}

struct planner {
  std::string_view text;
  int32_t unit;
  size_t limit;
  size_t total;  // measure(text, unit)
  bool markers;
  marker_widths widths;

  // Greedy cut assuming N has `nd` digits: the end offset of every piece, or an error.
  bool plan(size_t nd, std::vector<size_t>& ends, std::string& error) const {
    ends.clear();
    size_t pos = 0, consumed = 0;
    for (size_t k = 1;; ++k) {
      const size_t lead = (markers && k > 1) ? widths.lead_base + digits(k) + nd : 0;
      // The rest fits with only a leading marker: this is the last piece.
      if (lead <= limit && total - consumed <= limit - lead) {
        ends.push_back(text.size());
        return true;
      }
      const size_t trail = markers ? widths.trail_base + digits(k) + nd : 0;
      const size_t next = step_width(decode_utf8(text, pos), unit);
      if (lead + trail + next > limit) {
        error = "limit of " + std::to_string(limit) + " " + unit_name(unit) +
                " is too small to split this text: part " + std::to_string(k) + " needs " +
                std::to_string(lead + trail) + " for its markers plus " + std::to_string(next) +
                " for the next character";
        return false;
      }
      const cut c = find_cut(text, pos, limit - lead - trail, unit);
      ends.push_back(c.end);
      pos = c.end;
      consumed += c.units;
    }
  }
};

std::vector<std::string> render(std::string_view text, const std::vector<size_t>& ends,
                                bool markers) {
  std::vector<std::string> parts;
  parts.reserve(ends.size());
  const size_t n = ends.size();
  size_t start = 0;
  for (size_t k = 1; k <= n; ++k) {
    const std::string_view piece = text.substr(start, ends[k - 1] - start);
    start = ends[k - 1];
    std::string& part = parts.emplace_back();
    if (!markers) {
      part.assign(piece);
      continue;
    }
    std::string lead = k > 1 ? continued_marker(k, n) : std::string();
    std::string trail = k < n ? continues_marker(k, n) : std::string();
    part.reserve(lead.size() + piece.size() + trail.size());
    part.append(lead).append(piece).append(trail);
  }
  return parts;
}

}  // namespace

std::string continues_marker(size_t k, size_t n) { return marker(kTrailHead, k, n, kTrailTail); }
std::string continued_marker(size_t k, size_t n) { return marker(kLeadHead, k, n, kLeadTail); }

chunk_result chunk_text(std::string_view text, const chunk_options& opt) {
  chunk_result r;
  if (!known_unit(opt.unit)) {
    r.error = "unknown text unit " + std::to_string(opt.unit);
    return r;
  }
  const int32_t unit = opt.unit == 0 ? int32_t{PB_UNIT_CODEPOINTS} : opt.unit;
  if (text.empty()) return r;
  const size_t total = opt.limit == 0 ? 0 : measure(text, unit);
  if (total <= opt.limit) {  // fits (or unlimited): one part, no marker
    r.parts.emplace_back(text);
    return r;
  }
  const planner pl{text, unit, opt.limit, total, opt.markers, marker_widths(unit)};
  // N >= ceil(total / limit) since a piece holds fewer than `limit` units: a lower bound for D.
  size_t nd = digits((total + opt.limit - 1) / opt.limit);
  std::vector<size_t> ends;
  for (int pass = 0;; ++pass) {
    if (pass == kMaxPasses) {  // unreachable (see ITERATION in the header); never loop forever
      r.error = "part count did not settle";
      return r;
    }
    if (!pl.plan(nd, ends, r.error)) return r;
    const size_t real = digits(ends.size());
    if (!opt.markers || real <= nd) break;
    nd = real;
  }
  r.parts = render(text, ends, opt.markers);
  return r;
}

std::optional<std::string> strip_markers(const std::vector<std::string>& parts) {
  const size_t n = parts.size();
  if (n == 0) return std::string();
  if (n == 1) return parts[0];
  std::string out;
  for (size_t k = 1; k <= n; ++k) {
    std::string_view v = parts[k - 1];
    if (k > 1) {
      const std::string lead = continued_marker(k, n);
      if (!v.starts_with(lead)) return std::nullopt;
      v.remove_prefix(lead.size());
    }
    if (k < n) {
      const std::string trail = continues_marker(k, n);
      if (!v.ends_with(trail)) return std::nullopt;
      v.remove_suffix(trail.size());
    }
    out.append(v);
  }
  return out;
}

}  // namespace patchbay::render
