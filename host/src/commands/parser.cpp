#include "commands/parser.hpp"

#include <algorithm>

#include "patchbay/common/ascii.hpp"
#include "patchbay/pb_types.h"

namespace patchbay::commands {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim_front(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = trim_front(s);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// "@_user_<digits>": the mention placeholder some platforms leave in the text (Feishu).
bool is_placeholder(std::string_view word) {
  constexpr std::string_view head = "@_user_";
  if (word.size() <= head.size() || word.substr(0, head.size()) != head) return false;
  return std::all_of(word.begin() + static_cast<std::ptrdiff_t>(head.size()), word.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// The length of a leading "@<name>" of a bot-self mention in `text`, or 0.
std::size_t bot_mention_length(std::string_view text, const std::vector<messages::mention>& ms) {
  if (text.empty() || text.front() != '@') return 0;
  std::size_t best = 0;
  bool self_mentioned = false;
  for (const auto& m : ms) {
    if (m.is_bot_self != PB_YES) continue;  // PB_NO and unspecified: someone else
    self_mentioned = true;
    for (const std::string* name : {&m.display_name, &m.user_id}) {
      if (name->empty() || text.size() < name->size() + 1) continue;
      if (text.substr(1, name->size()) != *name) continue;
      // A whole word: the name ends the text or is followed by white space.
      const std::size_t end = name->size() + 1;
      if (end == text.size() || is_space(text[end])) best = std::max(best, end);
    }
  }
  if (best == 0 && self_mentioned) {
    std::size_t end = 0;
    while (end < text.size() && !is_space(text[end])) ++end;
    if (is_placeholder(text.substr(0, end))) best = end;
  }
  return best;
}

}  // namespace

std::string_view strip_bot_mentions(std::string_view text,
                                    const std::vector<messages::mention>& mentions) {
  text = trim_front(text);
  while (std::size_t n = bot_mention_length(text, mentions)) text = trim_front(text.substr(n));
  return text;
}

const std::string& name_of(const config::commands_config& cfg, command c) {
  switch (c) {
    case command::help:
      return cfg.help;
    case command::new_thread:
      return cfg.new_thread;
    case command::stop:
      return cfg.stop;
    case command::whoami:
      return cfg.whoami;
    case command::init:
      return cfg.init;
    case command::unbind:
      return cfg.unbind;
  }
  return cfg.help;
}

std::optional<parsed> parse(const config::commands_config& cfg, bool identity,
                            const messages::inbound_message& m) {
  std::string_view text = strip_bot_mentions(m.text, m.mentions);
  if (cfg.prefix.empty() || text.substr(0, cfg.prefix.size()) != cfg.prefix) return std::nullopt;
  text.remove_prefix(cfg.prefix.size());
  std::size_t end = 0;
  while (end < text.size() && !is_space(text[end])) ++end;
  std::string_view word = text.substr(0, end);
  if (auto at = word.find('@'); at != std::string_view::npos) word = word.substr(0, at);
  if (word.empty()) return std::nullopt;
  for (command c : {command::help, command::new_thread, command::stop, command::whoami,
                    command::init, command::unbind}) {
    const bool identity_command = c == command::init || c == command::unbind;
    if (identity_command ? !identity : !cfg.enabled) continue;
    if (common::iequals_ascii(word, name_of(cfg, c)))
      return parsed{c, std::string(trim(text.substr(end)))};
  }
  return std::nullopt;
}

}  // namespace patchbay::commands
