// The `channels:` list: one plugin instance each, bound to an agent.
#include "config/detail.hpp"

#include <algorithm>
#include <utility>

namespace patchbay::config::detail {
namespace {

bool is_plugin_name(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string agent_names(const std::vector<agent_config>& agents) {
  if (agents.empty()) return "no agents are defined; add one under 'agents:'";
  std::string out = "defined agents: ";
  for (std::size_t i = 0; i < agents.size(); ++i) out += (i ? ", " : "") + agents[i].name;
  return out;
}

// Channel ids seen so far and the line of each.
using id_lines = std::vector<std::pair<std::string, int>>;

void read_id(context& ctx, const field& f, id_lines& seen, std::string& out) {
  auto s = read_scalar(ctx, f, "a string");
  if (!s) return;
  if (!is_identifier(s->value)) {
    ctx.error(f.pos, f.path,
              "invalid channel id " + quote(*s) +
                  " (allowed: letters, digits, '_' and '-'; it is used in /hooks/<id>)");
    return;
  }
  const auto first =
      std::find_if(seen.begin(), seen.end(), [&](const auto& e) { return e.first == s->value; });
  if (first != seen.end()) {
    ctx.error(f.pos, f.path,
              "duplicate channel id " + quote(*s) + " (first defined at line " +
                  std::to_string(first->second) + ")");
    return;
  }
  seen.emplace_back(s->value, f.pos.line);
  out = std::move(s->value);
}

void read_plugin(context& ctx, const field& f, channel_config& out) {
  out.plugin_pos = f.pos;
  auto s = read_scalar(ctx, f, "a string");
  if (!s) return;
  if (s->value.find('/') != std::string::npos) {
    out.plugin = resolve_path(ctx.base_dir, s->value);
  } else if (is_plugin_name(s->value)) {
    out.plugin = std::move(s->value);
  } else {
    ctx.error(f.pos, f.path,
              "invalid plugin " + quote(*s) +
                  " (expected a plugin name of a-z, 0-9, '_' and '-', or a path containing '/')");
  }
}

void read_agent_ref(context& ctx, const field& f, const std::vector<agent_config>& agents,
                    std::string& out) {
  auto s = read_scalar(ctx, f, "a string");
  if (!s) return;
  const bool known = std::any_of(agents.begin(), agents.end(),
                                 [&](const agent_config& a) { return a.name == s->value; });
  if (!known) {
    ctx.error(f.pos, f.path, "unknown agent " + quote(*s) + " (" + agent_names(agents) + ")");
    return;
  }
  out = std::move(s->value);
}

void read_config_block(context& ctx, const field& f, std::string& out) {
  if (!f.node.IsMap() && !f.node.IsNull()) {
    ctx.error(f.pos, f.path, "expected a map of plugin settings, got " + describe_kind(f.node));
    return;
  }
  if (exceeds_value_cap(ctx, f)) return;
  out = entries_to_json_object(ctx, map_entries(ctx, f, "a map"));
}

}  // namespace

void read_channels(context& ctx, const field& f, const std::vector<agent_config>& agents,
                   std::vector<channel_config>& out) {
  id_lines seen;
  for (const auto& item : list_items(ctx, f, "a list of channels")) {
    if (!item.node.IsMap()) {
      ctx.error(
          item.pos, item.path,
          "expected a channel (a map with id, plugin and agent), got " + describe_kind(item.node));
      continue;
    }
    channel_config channel;
    channel.pos = item.pos;
    channel.config_json = "{}";
    const auto entries = map_entries(ctx, item, "a map",
                                     {"id", "plugin", "agent", "enabled", "config", "identity",
                                      "commands", "access", "limits", "late", "typing"});
    require_keys(ctx, item, entries, {"id", "plugin", "agent"});
    if (const field* id = find_entry(entries, "id")) read_id(ctx, *id, seen, channel.id);
    if (const field* plugin = find_entry(entries, "plugin")) read_plugin(ctx, *plugin, channel);
    if (const field* agent = find_entry(entries, "agent")) {
      read_agent_ref(ctx, *agent, agents, channel.agent);
    }
    if (const field* enabled = find_entry(entries, "enabled")) {
      if (auto value = read_bool(ctx, *enabled)) channel.enabled = *value;
    }
    if (const field* typing = find_entry(entries, "typing")) {
      if (auto value = read_bool(ctx, *typing)) channel.typing = *value;
    }
    if (const field* config = find_entry(entries, "config")) {
      read_config_block(ctx, *config, channel.config_json);
    }
    if (const field* identity = find_entry(entries, "identity")) {
      channel.identity_pos = identity->pos;
      if (auto value = read_choice(ctx, *identity, "identity provider", {"nyxid"}))
        channel.identity = std::move(*value);
    }
    if (const field* commands = find_entry(entries, "commands"))
      read_commands(ctx, *commands, channel.commands);
    if (const field* access = find_entry(entries, "access"))
      read_channel_access(ctx, *access, channel.access);
    if (const field* limits = find_entry(entries, "limits"))
      read_channel_limits(ctx, *limits, channel.limits);
    if (const field* late = find_entry(entries, "late"))
      read_channel_late(ctx, *late, channel.late);
    out.push_back(std::move(channel));
  }
}

}  // namespace patchbay::config::detail
