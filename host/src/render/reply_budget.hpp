// The per-reply send budget (pb_capabilities.max_sends_per_reply, ABI minor 3; iLink allows about
// ten messages per context_token): a reply is planned within it. fit_parts cuts a text that would
// need more messages than the budget leaves: the parts of the longest prefix that, followed by
// cut_marker, fits `max_parts` messages, so the last part sent says the answer was cut and no
// send is ever attempted past the budget. The renderer keeps one send in reserve for an error
// notice while an answer streams.
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "render/chunker.hpp"

namespace patchbay::render {

inline constexpr std::string_view cut_marker = "\n\n(answer cut: too long for this channel)";

struct budget_fit {
  std::vector<std::string> parts;  // at most max_parts, in sending order
  bool cut = false;                // the text was cut (the last part ends with cut_marker)
  std::string error;               // the chunker's, when it could not split at all
};

// `text` as at most `max_parts` messages of `opt.limit` (markers included). Unchanged (the plain
// chunk_text parts) when it fits; otherwise a prefix cut at a UTF-8 boundary plus cut_marker.
// max_parts 0: nothing may be sent (no parts, cut).
budget_fit fit_parts(std::string_view text, const chunk_options& opt, std::size_t max_parts);

}  // namespace patchbay::render
