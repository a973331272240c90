// patchbay host configuration: the typed model of the YAML file, and its loader.
//
// load_config() reads YAML, interpolates ${ENV} and ${file:PATH} in scalar values, validates the
// schema (unknown keys, wrong types, duplicates, references between sections) and returns either a
// config or every error found, each with file:line:column and the key path. Error texts never
// contain an interpolated value (they show the ${...} reference instead), so secrets do not leak.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace patchbay::config {

struct source_pos {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
};

struct config_error {
  source_pos pos;
  std::string path;               // key path, e.g. "channels[1].agent"
  std::string message;            // what is wrong and what is expected; never a secret value
  std::string to_string() const;  // "file:line:col: path: message"
};

enum class log_format { text, json };
enum class state_engine { sqlite, postgres };

struct log_config {
  log_format format = log_format::text;
  std::string level = "info";  // trace, debug, info, warn, error
};

struct state_config {
  state_engine engine = state_engine::sqlite;
  std::string path = "patchbay.db";  // sqlite: file path (relative to the config file's dir)
  std::string url;                   // postgres: libpq connection string (secret)
};

// `host.http`: the HTTP server's limits (see kit::http_server_options and docs/architecture.md).
struct http_limits_config {
  std::size_t max_connections = 1024;            // served normally, in total
  std::size_t max_connections_per_client = 512;  // from one client address; 0: no such limit
  std::size_t reserve_connections = 64;          // beyond those: /healthz, /readyz, /hooks/ only
  std::size_t max_total_body_bytes = std::size_t{64} << 20;  // all request bodies in flight
};

// `host.health`: when a channel counts as unhealthy, and how often the host says so.
struct health_config {
  // GET /healthz/channels answers 503 for an enabled channel not `connected` for longer than this.
  std::chrono::milliseconds channel_grace{60'000};
  // A failing channel is logged at error level at least once per this interval.
  std::chrono::milliseconds report_interval{300'000};
};

// `host.admission`: the host-wide admission limits (docs/architecture.md §8 "Admission"). An
// inbound event is refused before it is stored or acknowledged (the platform delivers it again
// later) while the turns past intake — running, started-but-waiting, handed to the turn service —
// reach max_turns_in_flight + max_pending_turns. At most max_turns_in_flight turns run on agents
// at once; the admitted rest wait in the router (durable: their inbound events are stored).
struct admission_config {
  std::size_t max_turns_in_flight = 64;
  std::size_t max_pending_turns = 1024;
  std::chrono::milliseconds retry_after{1000};  // the wait the refusal suggests to the plugin
};

// `host.media`: inbound attachments served at GET /v1/media/<id> (host/src/media/).
struct media_config {
  std::uint64_t max_bytes = std::uint64_t{30} << 20;  // one attachment; beyond it 413
  std::string cache_dir;  // default: <directory of host.state.path>/media
  std::uint64_t cache_max_bytes = std::uint64_t{512} << 20;  // LRU-bounded on-disk cache
  std::chrono::seconds cache_ttl{3600};                      // a cached file's lifetime
  std::chrono::seconds url_ttl{900};                // a media URL's lifetime, from its turn's start
  std::chrono::milliseconds fetch_timeout{60'000};  // the plugin's download, else 504
  source_pos pos;
};

// `host.media.outbound`: files agents send (docs/architecture.md §4, host/src/media/outbound_*).
struct media_outbound_config {
  // Directories a thread_response `path` may name (absolute, resolved against the config file's
  // dir); none by default: paths are refused.
  std::vector<std::string> allowed_paths;
  std::uint64_t max_bytes = std::uint64_t{30} << 20;  // the largest file, any source
  std::chrono::milliseconds fetch_timeout{60'000};    // a `url` fetch, in total
  int max_redirects = 3;                              // a `url` fetch follows at most this many
};

// `host.replica`: this host among the replicas sharing one state store (state/lease_table.hpp).
struct replica_config {
  std::string id;  // unique per replica; default: the host name
  // A single-consumer channel's lease lasts this long without a heartbeat: the failover time
  // when a replica dies (renewed every third of it).
  std::chrono::milliseconds lease_ttl{15'000};
};

struct host_config {
  std::string listen = "127.0.0.1:8780";
  std::vector<std::string> plugin_dirs;  // resolved relative to the config file's dir
  state_config state;
  std::vector<std::string> api_tokens;  // secrets
  log_config log;
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::chrono::milliseconds turn_timeout{120'000};  // no agent payload for this long → error
  std::chrono::milliseconds sse_keepalive{15'000};  // keep-alive comment interval on /v1/chat
  http_limits_config http;
  bool metrics_require_token = false;  // host.metrics.require_token: /metrics needs a token
  health_config health;
  media_config media;
  media_outbound_config media_outbound;  // host.media.outbound
  admission_config admission;            // host.admission
  replica_config replica;                // host.replica
};

struct agent_config {
  std::string name;
  std::string type;          // echo, http, openai, process
  std::string options_json;  // the agent's remaining keys as a JSON object (may hold secrets)
  source_pos pos;
};

// A channel's built-in chat commands (host/src/commands/): `commands:` of a channel entry.
struct commands_config {
  bool enabled = true;  // false: /help /new /stop /whoami are normal text for the agent
  std::string prefix = "/";
  std::vector<std::string> admins;  // sender ids who may /stop anyone's turn
  // The command words (without the prefix), by command.
  std::string help = "help", new_thread = "new", stop = "stop", whoami = "whoami";
  std::string init = "init", unbind = "unbind";  // identity bindings (channels with `identity:`)
  source_pos pos;
};

// A channel's `access:` block (host/src/access/, docs/architecture.md "Access control"): who may
// talk to the bot. Ids are the platform's sender ids as the plugin reports them; groups are
// conversation ids. "*" in a list is the explicit wildcard (accepted with a warning).
enum class dm_policy { allowlist, pairing, open, disabled };
struct group_access_config {
  std::vector<std::string> allow;  // conversation ids of groups the bot answers in
  bool require_mention = true;     // only a message that @mentions this bot is answered
  bool mention_all = false;        // an @all mention counts as a mention of this bot
};
struct pairing_config {
  std::chrono::seconds code_ttl{3600};  // a pairing code expires this long after it was issued
  std::size_t max_pending = 100;        // codes waiting for approval, per channel
};
struct access_config {
  dm_policy dm = dm_policy::allowlist;  // the default: unknown senders are dropped silently
  std::vector<std::string> allow;       // sender ids always admitted (unless denied)
  std::vector<std::string> deny;        // sender ids never admitted (wins over everything)
  group_access_config groups;
  pairing_config pairing;
};
// `limits:`: inbound token buckets. per_minute 0 = no limit.
struct bucket_config {
  double per_minute = 0;
  double burst = 1;
};
enum class over_limit_mode { notice, queue };
struct limits_config {
  bucket_config per_sender{20, 5};
  bucket_config per_channel{600, 50};
  over_limit_mode over_limit = over_limit_mode::notice;
  std::size_t queue_max = 100;  // queue mode: messages waiting per channel; beyond, dropped
};
// `late:`: a message that reaches the host more than `after` after it was sent gets a short notice
// instead of a turn, unless `answer`. 0 = never late.
struct late_config {
  std::chrono::seconds after{600};
  bool answer = false;
};

struct channel_config {
  std::string id;
  std::string plugin;  // a plugin name (searched in plugin_dirs) or a path to a .so
  std::string agent;   // name of an entry in `agents`
  bool enabled = true;
  std::string config_json;   // the `config:` block as a JSON object (secrets substituted)
  std::string identity;      // identity provider its users bind with ("" = none; "nyxid")
  commands_config commands;  // built-in chat commands (defaults when the key is absent)
  source_pos pos;            // where the channel entry starts
  source_pos plugin_pos;     // where its `plugin:` value is
  source_pos identity_pos;   // where its `identity:` value is
  access_config access;      // `access:` (config/access.cpp)
  limits_config limits;      // `limits:`
  late_config late;          // `late:`
  bool typing = true;        // `typing:` show the plugin's typing indicator while a turn runs
};

// The `identity:` section: per-user identity bindings (host/src/identity/). NyxID's OAuth broker
// is the one provider so far.
struct nyxid_identity_config {
  std::string base_url;      // NyxID, e.g. https://nyx.example.com (no trailing '/')
  std::string client_id;     // the broker-capable public OAuth client
  std::string redirect_uri;  // the host's public URL of /oauth/nyxid/callback
  std::string scope = "openid urn:nyxid:scope:broker_binding proxy";
  std::string state_secret;  // HMAC key of the signed OAuth `state` (secret)
  std::string ca_file;       // HTTPS: trust this PEM bundle (resolved against the config's dir)
  std::chrono::milliseconds timeout{10'000};  // total deadline of each call to NyxID
  source_pos pos;
};

struct identity_config {
  std::optional<nyxid_identity_config> nyxid;
};

struct config {
  std::string file;  // absolute path of the loaded file
  host_config host;
  identity_config identity;
  std::vector<agent_config> agents;
  std::vector<channel_config> channels;

  const agent_config* find_agent(const std::string& name) const;
};

struct load_result {
  std::optional<config> cfg;  // set when errors is empty
  std::vector<config_error> errors;
};

// Environment lookup, injectable for tests. Returns nullopt when the variable is unset.
using env_lookup = std::optional<std::string> (*)(const std::string& name);

load_result load_config(const std::string& path, env_lookup env = nullptr);
load_result parse_config(const std::string& yaml_text, const std::string& file_name,
                         const std::string& base_dir, env_lookup env = nullptr);

}  // namespace patchbay::config
