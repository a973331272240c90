// A channel's `commands:` block: the built-in chat commands' prefix, names, admins and switch
// (commands_config; host/src/commands/).
#include "config/detail.hpp"

#include <algorithm>
#include <utility>

namespace patchbay::config::detail {
namespace {

// A command word or prefix: printable ASCII without white space or '@' (a mention suffix).
bool is_command_word(std::string_view text, std::size_t max) {
  if (text.empty() || text.size() > max) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c > ' ' && c < 0x7f && c != '@'; });
}

void read_word(context& ctx, const field& f, std::size_t max, std::string_view what,
               std::string& out) {
  auto s = read_scalar(ctx, f, "a string");
  if (!s) return;
  if (!is_command_word(s->value, max)) {
    ctx.error(f.pos, f.path,
              "invalid " + std::string(what) + " " + quote(*s) + " (1 to " + std::to_string(max) +
                  " printable characters, no spaces and no '@')");
    return;
  }
  out = std::move(s->value);
}

void read_names(context& ctx, const field& f, commands_config& out) {
  const auto entries =
      map_entries(ctx, f, "a map", {"help", "new", "stop", "whoami", "init", "unbind"});
  const std::pair<std::string_view, std::string*> slots[] = {
      {"help", &out.help},     {"new", &out.new_thread}, {"stop", &out.stop},
      {"whoami", &out.whoami}, {"init", &out.init},      {"unbind", &out.unbind}};
  for (const auto& [key, slot] : slots)
    if (const field* e = find_entry(entries, key)) read_word(ctx, *e, 32, "command name", *slot);
  // Two commands under one name could never both be reached.
  for (std::size_t i = 0; i < std::size(slots); ++i)
    for (std::size_t j = i + 1; j < std::size(slots); ++j)
      if (*slots[i].second == *slots[j].second)
        ctx.error(f.pos, f.path,
                  "commands '" + std::string(slots[i].first) + "' and '" +
                      std::string(slots[j].first) + "' have the same name");
}

}  // namespace

void read_commands(context& ctx, const field& f, commands_config& out) {
  out.pos = f.pos;
  const auto entries = map_entries(ctx, f, "a map", {"enabled", "prefix", "admins", "names"});
  if (const field* enabled = find_entry(entries, "enabled")) {
    if (auto value = read_bool(ctx, *enabled)) out.enabled = *value;
  }
  if (const field* prefix = find_entry(entries, "prefix"))
    read_word(ctx, *prefix, 8, "command prefix", out.prefix);
  if (const field* admins = find_entry(entries, "admins")) {
    out.admins.clear();
    for (const auto& item : list_items(ctx, *admins, "a list of sender ids")) {
      auto value = read_string(ctx, item);
      if (!value) continue;
      if (value->empty()) {
        ctx.error(item.pos, item.path, "empty sender id");
        continue;
      }
      out.admins.push_back(std::move(*value));
    }
  }
  if (const field* names = find_entry(entries, "names")) read_names(ctx, *names, out);
}

}  // namespace patchbay::config::detail
