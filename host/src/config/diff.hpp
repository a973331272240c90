// What changed between the running configuration and a new one (a reload, docs/architecture.md
// §12). Pure: compares the parsed models, not the text, so reordered keys or reformatted
// YAML change nothing.
//
//  - A channel is changed when its plugin, agent, identity, enabled flag or `config:` block
//    (compared as JSON values) differ; added and removed by id; the rest unchanged.
//  - An agent is changed when its type or options (compared as JSON values) differ.
//  - Host settings: those a running host applies (`live`) and those that need a restart
//    (`needs_restart`), each named by its key path (e.g. "host.listen"). Never their values:
//    some are secrets.
//
// Thread safety: plain functions.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace patchbay::config {

struct config_diff {
  std::vector<std::string> channels_added, channels_removed, channels_changed, channels_unchanged;
  std::vector<std::string> agents_added, agents_removed, agents_changed;
  std::vector<std::string> settings_live;           // applied by the running host
  std::vector<std::string> settings_needs_restart;  // take effect at the next start only
};

// Channel lists are in the order of `now` (added, changed, unchanged) and `before` (removed).
config_diff diff_configs(const config& before, const config& now);

// True when the two channel entries differ in anything a running channel depends on.
bool channel_changed(const channel_config& a, const channel_config& b);

// True when two JSON texts hold equal values (object key order does not matter); texts that do
// not parse compare as text.
bool same_json(const std::string& a, const std::string& b);

}  // namespace patchbay::config
