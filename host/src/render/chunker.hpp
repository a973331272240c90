// The message chunker: splits a text longer than a channel's message limit into parts.
//
// CONTRACT (chunk_text)
//   - `limit` is the maximum size of one rendered part, markers included, measured in `unit`
//     (see render/text_units.hpp for units and for how invalid UTF-8 is counted). 0 = unlimited.
//   - A text that fits (measure(text) <= limit) is returned as ONE part, unchanged, with no marker.
//     The empty text gives ZERO parts (there is nothing to send).
//   - Otherwise the text is cut into N >= 2 non-empty pieces, each rendered with markers:
//         part 1        piece + continues_marker(1, N)
//         part k        continued_marker(k, N) + piece + continues_marker(k, N)      (1 < k < N)
//         part N        continued_marker(N, N) + piece
//     where continued_marker(k, N) = "[part k/N • continued ↑]\n\n"
//     and   continues_marker(k, N) = "\n\n[part k/N • continues ↓]"
//     (k and N in decimal without leading zeros; "•" is U+2022, "↑" U+2191, "↓" U+2193). Every
//     rendered part measures at most `limit`, for any N: the marker widths are those of the real
//     k and N (see ITERATION below).
//   - The pieces are consecutive slices of the ORIGINAL text: strip_markers(parts) == text,
//     byte for byte. The whitespace at a cut stays at the END of the earlier piece.
//   - Cuts fall only on step boundaries (never inside a UTF-8 sequence, so never inside a
//     code point or between the halves of a UTF-16 surrogate pair); an invalid byte is one step.
//   - With `markers = false` the pieces are returned as they are (concatenating them gives the
//     text back) and every piece gets the whole limit.
//
// WHERE A PIECE ENDS
//   A piece gets a budget b = limit - the width of its markers. Its "window" is the longest prefix
//   of the rest of the text that fits b; the piece ends at the LAST position in the window of the
//   best class found among positions in the usable half of the window (the piece would measure
//   at least ceil(b/2)):
//     1. paragraph  right after "\n\n" (or "\n\r\n")
//     2. line       right after "\n"
//     3. space      right after ' ' or '\t'
//     4. character  between two characters that do not belong together: not after U+200D (ZWJ),
//                   not before a combining mark / variation selector / skin-tone modifier / ZWJ /
//                   emoji tag, not inside a regional-indicator pair (flag), not inside "\r\n".
//                   This is an approximation of grapheme clusters, a preference only.
//     5. hard       the end of the window.
//   Classes 1-3 also require the class-4 condition. Requiring half the window keeps a break near
//   the start of a window (e.g. after a one-line intro) from producing a tiny part.
//
// ITERATION
//   Marker width depends on the number of digits of N, and N on the marker width. The planner
//   assumes D digits for N, starting from D0 = digits(ceil(measure(text) / limit)) (a lower bound
//   on N's digits), cuts greedily, and stops when digits(N) <= D; otherwise it retries with D =
//   digits(N) > D. So D strictly increases, and D <= 20 (N fits in size_t): at most 20 passes (in
//   practice one; two when N crosses a power of ten), and a hard cap guards the loop anyway. Parts
//   are rendered with the real N, whose digits are at most D, so no part exceeds the limit.
//
// ERRORS
//   chunk_result::error is non-empty (and parts empty) when the unit is unknown, or when the limit
//   cannot hold a part's markers plus the next character (e.g. limit 30 code points: a middle part
//   needs at least 52 for its two markers and one character). Never loops, never returns a part
//   over the limit.
//
// COST: O(text size) time and memory (a small constant number of passes).
// THREAD SAFETY: pure functions without state; safe from any thread.
#pragma once

#include "render/text_units.hpp"

#include <patchbay/pb_types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace patchbay::render {

struct chunk_options {
  uint32_t limit = 0;                 // maximum size of one part, markers included; 0 = unlimited
  int32_t unit = PB_UNIT_CODEPOINTS;  // pb_text_unit; 0 = PB_UNIT_CODEPOINTS
  bool markers = true;                // render the part markers when the text is split
};

struct chunk_result {
  std::vector<std::string> parts;  // in sending order
  std::string error;               // empty on success; otherwise a reason, and `parts` is empty
  bool ok() const noexcept { return error.empty(); }
};

chunk_result chunk_text(std::string_view text, const chunk_options& opt);

// The inverse of chunk_text with markers: the original text. One part is returned unchanged (it
// never has a marker); with N >= 2 parts, part k must begin with continued_marker(k, N) (k > 1)
// and end with continues_marker(k, N) (k < N), which are removed. Exact because k and N are known
// from the position in the list, whatever the text itself contains. nullopt when a marker is
// missing (the list was not made by chunk_text, or was reordered or truncated).
std::optional<std::string> strip_markers(const std::vector<std::string>& parts);

// The markers themselves (see CONTRACT): trailing on parts 1..N-1, leading on parts 2..N.
std::string continues_marker(size_t k, size_t n);
std::string continued_marker(size_t k, size_t n);

}  // namespace patchbay::render
