#include "commands/unreadable.hpp"

#include "commands/parser.hpp"

namespace patchbay::commands {
namespace {

// The length of a white-space character at the start of `s` (ASCII, NBSP U+00A0, the
// ideographic space U+3000, zero-width space U+200B and the BOM U+FEFF), or 0.
std::size_t space_length(std::string_view s) {
  if (s.empty()) return 0;
  const char c = s.front();
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return 1;
  for (std::string_view sp : {std::string_view("\xC2\xA0"), std::string_view("\xE3\x80\x80"),
                              std::string_view("\xE2\x80\x8B"), std::string_view("\xEF\xBB\xBF")})
    if (s.substr(0, sp.size()) == sp) return sp.size();
  return 0;
}

bool blank(std::string_view s) {
  while (std::size_t n = space_length(s)) s.remove_prefix(n);
  return s.empty();
}

}  // namespace

bool has_content(const messages::inbound_message& m) {
  if (!m.attachments.empty()) return true;
  return !blank(strip_bot_mentions(m.text, m.mentions));
}

turns::front_stage unreadable_stage() {
  return [](const turns::front_input& in) -> std::optional<turns::front_verdict> {
    if (has_content(in.message)) return std::nullopt;
    turns::front_verdict v;
    v.what = turns::front_verdict::kind::host_answer;
    v.text = texts::unreadable();
    v.reason = "no text and no attachment";
    return v;
  };
}

std::string texts::unreadable() { return "I can't read this kind of message yet."; }

}  // namespace patchbay::commands
