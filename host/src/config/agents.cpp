// The `agents:` section: named backends. Only the type is checked here; every other key goes to
// the backend as options_json, which the backend validates itself.
#include "config/detail.hpp"

namespace patchbay::config::detail {

void read_agents(context& ctx, const field& f, std::vector<agent_config>& out) {
  for (const auto& entry : map_entries(ctx, f, "a map of agents (name: {type: ...})")) {
    agent_config agent;
    agent.name = entry.key;
    agent.pos = entry.key_pos;
    if (!is_identifier(entry.key)) {
      ctx.error(entry.key_pos, entry.path,
                "invalid agent name '" + entry.key + "' (allowed: letters, digits, '_' and '-')");
    }
    if (exceeds_value_cap(ctx, entry, 1)) {  // `type` is the key not converted
      out.push_back(std::move(agent));
      continue;
    }
    const auto keys = map_entries(ctx, entry, "a map with a 'type' key");
    require_keys(ctx, entry, keys, {"type"});
    std::vector<field> options;
    for (const auto& key : keys) {
      if (key.key != "type") {
        options.push_back(key);
      } else if (auto type = read_choice(ctx, key, "agent type",
                                         {"echo", "http", "openai", "process", "callback"})) {
        agent.type = std::move(*type);
      }
    }
    agent.options_json = entries_to_json_object(ctx, options);
    // Kept even when invalid, so channels naming it do not also report "unknown agent".
    out.push_back(std::move(agent));
  }
}

}  // namespace patchbay::config::detail
