// Internal pieces of the config loader, shared by its translation units. Not part of the public
// API: only the .cpp files of this directory include it.
//
// Secrets rule, enforced here by construction: error messages are built from `scalar::original`
// (the text as written in the file) and never from `scalar::value` (the text after ${...}
// substitution). Keep it that way when adding checks.
//
// Thread safety: none needed; a context belongs to one load call.
#pragma once

#include "config/config.hpp"

#include <yaml-cpp/yaml.h>
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace patchbay::config::detail {

// State of one load: where errors go and how ${...} references resolve.
struct context {
  std::string file;      // as shown in error positions
  std::string base_dir;  // relative paths resolve against this (may be empty: the cwd)
  env_lookup env;        // never null
  std::vector<config_error> errors;

  void error(source_pos pos, std::string path, std::string message);
  source_pos pos(const YAML::Mark& mark) const;
};

// --- interpolate.cpp ---------------------------------------------------------------------------

struct interpolation {
  std::string text;                 // the value after substitution
  bool substituted = false;         // a ${...} reference was replaced (the text may hold a secret)
  std::vector<std::string> errors;  // one message per bad reference; never a substituted value
};

// Expands ${NAME}, ${NAME:-default}, ${file:PATH} and the escape $${ in one scalar.
interpolation interpolate(std::string_view raw, const std::string& base_dir, env_lookup env);

// Reads a whole file (up to max_bytes). Returns the error text ("No such file or directory")
// on failure.
std::optional<std::string> read_whole_file(const std::string& path, std::size_t max_bytes,
                                           std::string& out);

// A relative path joined to base_dir and normalised; absolute paths are only normalised.
std::string resolve_path(const std::string& base_dir, const std::string& path);

// --- nodes.cpp ---------------------------------------------------------------------------------

// One value in the document together with how to name and locate it.
struct field {
  std::string path;  // key path, e.g. "channels[1].agent"
  std::string key;   // the map key ("" for sequence items)
  YAML::Node node;
  source_pos pos;      // where the value is; the key's position when the value is empty
  source_pos key_pos;  // where the key is (the value's position for sequence items)
};

// The whole document as a field with path "".
field root_field(context& ctx, const YAML::Node& root);

// The entries of a map field in file order. Reports non-string keys, duplicate keys and, when
// `allowed` is not empty, keys outside it; such entries are left out. An empty value (null) is an
// empty map; any other non-map is reported with `what` (e.g. "a map of agents").
std::vector<field> map_entries(context& ctx, const field& map, std::string_view what,
                               std::initializer_list<std::string_view> allowed = {});
// The items of a list field; null is an empty list, anything else but a list is reported.
std::vector<field> list_items(context& ctx, const field& list, std::string_view what);

const field* find_entry(const std::vector<field>& entries, std::string_view key);
// Reports "missing required key" on `map` for each name absent from `entries`.
void require_keys(context& ctx, const field& map, const std::vector<field>& entries,
                  std::initializer_list<std::string_view> keys);

// A scalar after interpolation. `original` is what errors may quote.
struct scalar {
  std::string value;
  std::string original;
  bool plain = false;  // written without quotes or block indicators, and without an explicit tag
  bool substituted = false;
};

// "'<original>'" — the only way a value should appear in an error message.
std::string quote(const scalar& s);
// "a map", "a list", "an empty value", "a string"...
std::string describe_kind(const YAML::Node& node);

// Typed readers: report wrong types and interpolation errors, and return nullopt after reporting.
std::optional<scalar> read_scalar(context& ctx, const field& f, std::string_view expected);
std::optional<std::string> read_string(context& ctx, const field& f);
std::optional<bool> read_bool(context& ctx, const field& f);
// Decimal integer in [min, max]; `expected` names the type in messages.
std::optional<std::int64_t> read_int(context& ctx, const field& f, std::int64_t min,
                                     std::int64_t max, std::string_view expected);
// One of `choices`, else "unknown <what> 'x' (expected one of: ...)".
std::optional<std::string> read_choice(context& ctx, const field& f, std::string_view what,
                                       std::initializer_list<std::string_view> choices);

bool parse_bool(std::string_view text, bool& out);
// [A-Za-z0-9_-]+ : channel ids and agent names.
bool is_identifier(std::string_view text);
std::string join(std::initializer_list<std::string_view> items);

// --- yaml_json.cpp -----------------------------------------------------------------------------

// Converts a YAML subtree to JSON, interpolating every scalar value. Quoted scalars become strings;
// plain ones are typed by their (interpolated) text: see typed_scalar().
boost::json::value to_json(context& ctx, const field& f);
// JSON type of a plain scalar's text: integers, floats, true/false, null/~ or a string.
boost::json::value typed_scalar(std::string_view text, bool substituted);
// Serialises the entries of a map as one JSON object (keys in file order).
std::string entries_to_json_object(context& ctx, const std::vector<field>& entries);
// Reports the value cap of to_json/entries_to_json_object on `f` and returns true when `f` is a
// map with more entries than the cap allows (besides `other_keys` keys that are not converted).
// Called before map_entries, so a map far over the cap is refused without reading its keys.
// Duplicate keys count too here, as they are not known yet.
bool exceeds_value_cap(context& ctx, const field& f, std::size_t other_keys = 0);

// --- listen.cpp --------------------------------------------------------------------------------

// Why `text` is not a valid "host:port" listen address, or nullopt when it is. The reason never
// quotes the text.
std::optional<std::string> listen_address_problem(std::string_view text);
// True when a valid listen address only accepts connections from this machine: 127.0.0.0/8,
// [::1] or the name localhost.
bool listen_is_loopback(std::string_view text);

// --- section readers (host.cpp, agents.cpp, channels.cpp) ---------------------------------------

void read_host(context& ctx, const field& f, host_config& out);
// host_http.cpp: `host.http` and `host.metrics`.
void read_host_http(context& ctx, const field& f, http_limits_config& out);
void read_host_metrics(context& ctx, const field& f, bool& require_token);
void read_health(context& ctx, const field& f, health_config& out);        // health.cpp
void read_admission(context& ctx, const field& f, admission_config& out);  // admission.cpp
void read_replica(context& ctx, const field& f, replica_config& out);      // replica.cpp
std::string default_replica_id();                                          // replica.cpp
// media.cpp: `host.media` (`state_path` gives the default cache directory).
void read_media(context& ctx, const field* f, const std::string& state_path, media_config& out,
                media_outbound_config& outbound);
// media_outbound.cpp: the `outbound:` block of `host.media`.
void read_outbound(context& ctx, const field& f, media_outbound_config& out);
void read_agents(context& ctx, const field& f, std::vector<agent_config>& out);
void read_channels(context& ctx, const field& f, const std::vector<agent_config>& agents,
                   std::vector<channel_config>& out);
// host.cpp: a list of non-empty strings; `what` names one item, `list_what` the list.
std::vector<std::string> read_string_list(context& ctx, const field& f, std::string_view what,
                                          std::string_view list_what);
// access.cpp: a channel's `access:`, `limits:` and `late:` blocks.
void read_channel_access(context& ctx, const field& f, access_config& out);
void read_channel_limits(context& ctx, const field& f, limits_config& out);
void read_channel_late(context& ctx, const field& f, late_config& out);
// identity.cpp: the `identity:` section, then each channel's `identity:` reference.
void read_identity(context& ctx, const field& f, identity_config& out);
void check_channel_identities(context& ctx, const std::vector<channel_config>& channels,
                              const identity_config& identity);

// commands.cpp: a channel's `commands:` block.
void read_commands(context& ctx, const field& f, commands_config& out);

}  // namespace patchbay::config::detail
