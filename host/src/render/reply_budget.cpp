#include "render/reply_budget.hpp"

#include <algorithm>

namespace patchbay::render {

namespace {

// Back to the start of a UTF-8 sequence: never cut inside one.
std::size_t boundary(std::string_view s, std::size_t at) {
  while (at > 0 && at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;
  return at;
}

std::string with_marker(std::string_view text, std::size_t len) {
  std::string_view prefix = text.substr(0, len);
  while (!prefix.empty() && (prefix.back() == ' ' || prefix.back() == '\n' ||
                             prefix.back() == '\t' || prefix.back() == '\r'))
    prefix.remove_suffix(1);
  std::string out(prefix);
  out += cut_marker;
  return out;
}

}  // namespace

budget_fit fit_parts(std::string_view text, const chunk_options& opt, std::size_t max_parts) {
  budget_fit fit;
  if (max_parts == 0) {
    fit.cut = !text.empty();
    return fit;
  }
  chunk_result whole = chunk_text(text, opt);
  if (!whole.ok()) {
    fit.error = whole.error;
    return fit;
  }
  if (whole.parts.size() <= max_parts) {
    fit.parts = std::move(whole.parts);
    return fit;
  }
  // No more than this many bytes can fit max_parts messages (a unit is at most 4 bytes), so the
  // search below works on a bounded prefix whatever the answer's size.
  const std::size_t bound =
      std::min(text.size(), static_cast<std::size_t>(opt.limit) * 4 * max_parts);
  auto fits = [&](std::size_t len, chunk_result& out) {
    out = chunk_text(with_marker(text, len), opt);
    return out.ok() && out.parts.size() <= max_parts;
  };
  chunk_result best;
  if (!fits(0, best)) {  // not even the marker alone fits: send as much as the budget takes
    whole.parts.resize(max_parts);
    fit.parts = std::move(whole.parts);
    fit.cut = true;
    return fit;
  }
  std::size_t lo = 0, hi = bound;  // fits(lo); the longest fitting prefix is in [lo, hi]
  while (lo < hi) {
    const std::size_t mid = boundary(text, lo + (hi - lo + 1) / 2);
    chunk_result r;
    if (mid > lo && fits(mid, r)) {
      lo = mid;
      best = std::move(r);
    } else {
      hi = mid > lo ? mid - 1 : lo;
    }
  }
  fit.parts = std::move(best.parts);
  fit.cut = true;
  return fit;
}

}  // namespace patchbay::render
