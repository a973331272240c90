// The `host:` section: listen address, plugin directories, state store, API tokens, log, shutdown.
#include "config/detail.hpp"

namespace patchbay::config::detail {
namespace {

constexpr std::int64_t max_shutdown_timeout_ms = std::int64_t{24} * 60 * 60 * 1000;

void read_listen(context& ctx, const field& f, std::string& out) {
  auto s = read_scalar(ctx, f, "a string");
  if (!s) return;
  if (auto problem = listen_address_problem(s->value)) {
    ctx.error(f.pos, f.path,
              "invalid listen address " + quote(*s) + ": " + *problem +
                  " (expected host:port, e.g. 127.0.0.1:8780 or [::1]:8780)");
    return;
  }
  out = std::move(s->value);
}

void read_state(context& ctx, const field& f, state_config& out) {
  const auto entries = map_entries(ctx, f, "a map", {"engine", "path", "url"});
  bool engine_known = true;
  if (const field* engine = find_entry(entries, "engine")) {
    auto value = read_choice(ctx, *engine, "state engine", {"sqlite", "postgres"});
    engine_known = value.has_value();
    if (value) out.engine = *value == "postgres" ? state_engine::postgres : state_engine::sqlite;
  }
  const bool sqlite = engine_known && out.engine == state_engine::sqlite;
  const bool postgres = engine_known && out.engine == state_engine::postgres;

  if (const field* path = find_entry(entries, "path")) {
    if (postgres) {
      ctx.error(path->key_pos, path->path, "'path' is only used with engine sqlite");
    } else if (auto value = read_string(ctx, *path)) {
      if (value->empty()) ctx.error(path->pos, path->path, "empty database path");
      out.path = std::move(*value);
    }
  }
  // ":memory:" is SQLite's in-memory database, not a file name.
  if (out.path != ":memory:" && !out.path.empty()) out.path = resolve_path(ctx.base_dir, out.path);

  if (const field* url = find_entry(entries, "url")) {
    if (sqlite) {
      ctx.error(url->key_pos, url->path, "'url' is only used with engine postgres");
    } else if (auto value = read_string(ctx, *url)) {
      if (value->empty()) ctx.error(url->pos, url->path, "empty connection string");
      out.url = std::move(*value);
    }
  } else if (postgres) {
    ctx.error(f.pos, f.path,
              "missing required key 'url' (engine postgres needs a connection string)");
  }
}

void read_log(context& ctx, const field& f, log_config& out) {
  const auto entries = map_entries(ctx, f, "a map", {"format", "level"});
  if (const field* format = find_entry(entries, "format")) {
    if (auto value = read_choice(ctx, *format, "log format", {"text", "json"})) {
      out.format = *value == "json" ? log_format::json : log_format::text;
    }
  }
  if (const field* level = find_entry(entries, "level")) {
    if (auto value =
            read_choice(ctx, *level, "log level", {"trace", "debug", "info", "warn", "error"})) {
      out.level = std::move(*value);
    }
  }
}

}  // namespace

// A list of non-empty strings; `what` names one item, `list_what` the list in messages.
std::vector<std::string> read_string_list(context& ctx, const field& f, std::string_view what,
                                          std::string_view list_what) {
  std::vector<std::string> out;
  for (const auto& item : list_items(ctx, f, list_what)) {
    auto value = read_string(ctx, item);
    if (!value) continue;
    if (value->empty()) {
      ctx.error(item.pos, item.path, "empty " + std::string(what));
      continue;
    }
    out.push_back(std::move(*value));
  }
  return out;
}

void read_host(context& ctx, const field& f, host_config& out) {
  const auto entries = map_entries(ctx, f, "a map",
                                   {"listen", "plugin_dirs", "state", "api_tokens", "log",
                                    "shutdown_timeout_ms", "turn_timeout_ms", "sse_keepalive_ms",
                                    "http", "metrics", "health", "media", "admission", "replica"});
  if (const field* listen = find_entry(entries, "listen")) read_listen(ctx, *listen, out.listen);
  if (const field* dirs = find_entry(entries, "plugin_dirs")) {
    for (auto& dir : read_string_list(ctx, *dirs, "directory path", "a list of directories")) {
      out.plugin_dirs.push_back(resolve_path(ctx.base_dir, dir));
    }
  }
  const field* state = find_entry(entries, "state");
  // Without a state section the default SQLite path still resolves against the config's dir.
  read_state(ctx, state ? *state : field{f.path + ".state", "state", YAML::Node(), f.pos, f.pos},
             out.state);
  if (const field* tokens = find_entry(entries, "api_tokens")) {
    out.api_tokens = read_string_list(ctx, *tokens, "API token", "a list of API tokens");
  }
  // Secure by default: /v1/* (agents, proactive sends, reloads) is never open to a network.
  if (out.api_tokens.empty() && !listen_is_loopback(out.listen)) {
    const field* listen = find_entry(entries, "listen");
    ctx.error(listen ? listen->pos : f.pos, listen ? listen->path : f.path,
              "the API would be reachable beyond this machine without a token: set "
              "host.api_tokens (e.g. [\"${PATCHBAY_TOKEN}\"]) or listen on 127.0.0.1");
  }
  if (const field* log = find_entry(entries, "log")) read_log(ctx, *log, out.log);
  if (const field* http = find_entry(entries, "http")) read_host_http(ctx, *http, out.http);
  if (const field* metrics = find_entry(entries, "metrics"))
    read_host_metrics(ctx, *metrics, out.metrics_require_token);
  if (const field* health = find_entry(entries, "health")) read_health(ctx, *health, out.health);
  if (const field* admission = find_entry(entries, "admission"))
    read_admission(ctx, *admission, out.admission);
  if (const field* replica = find_entry(entries, "replica"))
    read_replica(ctx, *replica, out.replica);
  if (out.replica.id.empty()) out.replica.id = default_replica_id();
  read_media(ctx, find_entry(entries, "media"), out.state.path, out.media, out.media_outbound);
  struct duration_key {
    const char* name;
    std::chrono::milliseconds host_config::*member;
    std::int64_t min;
    const char* expected;
  };
  static const duration_key durations[] = {
      {"shutdown_timeout_ms", &host_config::shutdown_timeout, 1,
       "a positive number of milliseconds (at most 86400000)"},
      {"turn_timeout_ms", &host_config::turn_timeout, 1000,
       "a number of milliseconds from 1000 to 86400000"},
      {"sse_keepalive_ms", &host_config::sse_keepalive, 100,
       "a number of milliseconds from 100 to 86400000"}};
  for (const auto& d : durations) {
    if (const field* entry = find_entry(entries, d.name)) {
      if (auto ms = read_int(ctx, *entry, d.min, max_shutdown_timeout_ms, d.expected))
        out.*d.member = std::chrono::milliseconds(*ms);
    }
  }
}

}  // namespace patchbay::config::detail
