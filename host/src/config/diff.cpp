#include "config/diff.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>

namespace patchbay::config {

bool same_json(const std::string& a, const std::string& b) {
  if (a == b) return true;
  boost::system::error_code ea, eb;
  auto va = boost::json::parse(a, ea);
  auto vb = boost::json::parse(b, eb);
  if (ea || eb) return false;
  return va == vb;  // objects compare by key, not by order
}

bool channel_changed(const channel_config& a, const channel_config& b) {
  return a.plugin != b.plugin || a.agent != b.agent || a.identity != b.identity ||
         a.enabled != b.enabled || a.typing != b.typing || !same_json(a.config_json, b.config_json);
}

namespace {

bool agent_changed(const agent_config& a, const agent_config& b) {
  return a.type != b.type || !same_json(a.options_json, b.options_json);
}

bool same_identity(const identity_config& a, const identity_config& b) {
  if (a.nyxid.has_value() != b.nyxid.has_value()) return false;
  if (!a.nyxid) return true;
  const auto& x = *a.nyxid;
  const auto& y = *b.nyxid;
  return x.base_url == y.base_url && x.client_id == y.client_id &&
         x.redirect_uri == y.redirect_uri && x.scope == y.scope &&
         x.state_secret == y.state_secret && x.ca_file == y.ca_file && x.timeout == y.timeout;
}

void diff_host(const config& before, const config& now, config_diff& d) {
  const host_config& a = before.host;
  const host_config& b = now.host;
  auto note = [](std::vector<std::string>& into, bool differs, const char* key) {
    if (differs) into.emplace_back(key);
  };
  // Applied live by the host (host_app): the log level, the stop budget, where plugins are found.
  note(d.settings_live, a.log.level != b.log.level, "host.log.level");
  note(d.settings_live, a.shutdown_timeout != b.shutdown_timeout, "host.shutdown_timeout_ms");
  note(d.settings_live, a.plugin_dirs != b.plugin_dirs, "host.plugin_dirs");
  // Fixed for the life of the process: the socket, the store, the log sink, the API's token
  // list, the router's and SSE renderer's timings, the identity providers.
  auto& restart = d.settings_needs_restart;
  note(restart, a.listen != b.listen, "host.listen");
  note(restart,
       a.state.engine != b.state.engine || a.state.path != b.state.path ||
           a.state.url != b.state.url,
       "host.state");
  note(restart, a.api_tokens != b.api_tokens, "host.api_tokens");
  note(restart, a.log.format != b.log.format, "host.log.format");
  note(restart, a.turn_timeout != b.turn_timeout, "host.turn_timeout_ms");
  note(restart, a.sse_keepalive != b.sse_keepalive, "host.sse_keepalive_ms");
  note(restart,
       a.http.max_connections != b.http.max_connections ||
           a.http.max_connections_per_client != b.http.max_connections_per_client ||
           a.http.reserve_connections != b.http.reserve_connections ||
           a.http.max_total_body_bytes != b.http.max_total_body_bytes,
       "host.http");
  note(restart, a.metrics_require_token != b.metrics_require_token, "host.metrics.require_token");
  note(restart,
       a.health.channel_grace != b.health.channel_grace ||
           a.health.report_interval != b.health.report_interval,
       "host.health");
  note(restart,
       a.admission.max_turns_in_flight != b.admission.max_turns_in_flight ||
           a.admission.max_pending_turns != b.admission.max_pending_turns ||
           a.admission.retry_after != b.admission.retry_after,
       "host.admission");
  note(restart, a.replica.id != b.replica.id || a.replica.lease_ttl != b.replica.lease_ttl,
       "host.replica");
  note(restart,
       a.media.max_bytes != b.media.max_bytes || a.media.cache_dir != b.media.cache_dir ||
           a.media.cache_max_bytes != b.media.cache_max_bytes ||
           a.media.cache_ttl != b.media.cache_ttl || a.media.url_ttl != b.media.url_ttl ||
           a.media.fetch_timeout != b.media.fetch_timeout,
       "host.media");
  const auto& ma = a.media_outbound;
  const auto& mb = b.media_outbound;
  note(restart,
       ma.allowed_paths != mb.allowed_paths || ma.max_bytes != mb.max_bytes ||
           ma.fetch_timeout != mb.fetch_timeout || ma.max_redirects != mb.max_redirects,
       "host.media.outbound");
  note(restart, !same_identity(before.identity, now.identity), "identity");
}

}  // namespace

config_diff diff_configs(const config& before, const config& now) {
  config_diff d;
  std::map<std::string, const channel_config*> old_channels;
  for (const auto& c : before.channels) old_channels[c.id] = &c;
  for (const auto& c : now.channels) {
    auto it = old_channels.find(c.id);
    if (it == old_channels.end())
      d.channels_added.push_back(c.id);
    else if (channel_changed(*it->second, c))
      d.channels_changed.push_back(c.id);
    else
      d.channels_unchanged.push_back(c.id);
  }
  for (const auto& c : before.channels)
    if (std::none_of(now.channels.begin(), now.channels.end(),
                     [&](const channel_config& n) { return n.id == c.id; }))
      d.channels_removed.push_back(c.id);

  for (const auto& a : now.agents) {
    const agent_config* old = before.find_agent(a.name);
    if (old == nullptr)
      d.agents_added.push_back(a.name);
    else if (agent_changed(*old, a))
      d.agents_changed.push_back(a.name);
  }
  for (const auto& a : before.agents)
    if (now.find_agent(a.name) == nullptr) d.agents_removed.push_back(a.name);

  diff_host(before, now, d);
  return d;
}

}  // namespace patchbay::config
