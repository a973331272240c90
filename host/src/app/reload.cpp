#include "app/reload.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>

#include "app/host_app.hpp"
#include "patchbay/common/log_subject.hpp"

namespace patchbay::app {
namespace json = boost::json;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

template <class Config>  // config::config, const or not
auto* find_channel(Config& c, const std::string& id) {
  decltype(&c.channels.front()) found = nullptr;
  for (auto& ch : c.channels)
    if (ch.id == id) found = &ch;
  return found;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::array reasons(const std::vector<std::pair<std::string, std::string>>& v) {
  json::array a;
  for (const auto& [id, why] : v) a.push_back(json::object{{"id", id}, {"reason", why}});
  return a;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

int64_t now_ms() { return plugin::system_clock_source().now_unix_ms(); }

}  // namespace

plugin::channel_status initial_status(const config::channel_config& ch) {
  plugin::channel_status st;
  st.id = ch.id;
  st.plugin = ch.plugin;
  st.enabled = ch.enabled;
  st.state = ch.enabled ? plugin::channel_state::pending : plugin::channel_state::disabled;
  st.since_unix_ms = now_ms();
  st.agent = ch.agent;
  return st;
}

unsigned reload_outcome::http_status() const {
  switch (status) {
    case result::applied:
      return 200;
    case result::invalid:
      return 422;
    case result::stopping:
      return 503;
    case result::busy:
      return 429;
  }
  return 500;
}

std::string reload_outcome::to_json() const {
  json::object o;
  o["reloaded"] = status == result::applied;
  if (status == result::invalid) {
    o["error"] = {{"code", "invalid_config"},
                  {"message", std::to_string(errors.size()) +
                                  " configuration error(s); the running configuration stays"}};
    o["errors"] = strings(errors);
    return json::serialize(o);
  }
  if (status == result::stopping || status == result::busy) {
    o["error"] = status == result::busy
                     ? json::object{{"code", "busy"},
                                    {"message", "too many reload requests waiting; try again"}}
                     : json::object{{"code", "shutting_down"}, {"message", "the host is stopping"}};
    return json::serialize(o);
  }
  o["channels"] = {{"added", strings(diff.channels_added)},
                   {"removed", strings(diff.channels_removed)},
                   {"restarted", strings(diff.channels_changed)},
                   {"unchanged", strings(diff.channels_unchanged)},
                   {"retried", strings(retried)},
                   {"kept", reasons(kept)},
                   {"failed", reasons(failed)}};
  o["agents"] = {{"added", strings(diff.agents_added)},
                 {"removed", strings(diff.agents_removed)},
                 {"changed", strings(diff.agents_changed)}};
  o["settings"] = {{"applied", strings(diff.settings_live)},
                   {"needs_restart", strings(diff.settings_needs_restart)}};
  return json::serialize(o);
}

std::string reload_outcome::summary() const {
  if (status == result::invalid)
    return "reload refused: " + std::to_string(errors.size()) +
           " configuration error(s); the running configuration stays";
  if (status == result::stopping) return "reload not done: the host is stopping";
  if (status == result::busy) return "reload not queued: too many requests waiting";
  std::string s = "reload applied: channels " + std::to_string(diff.channels_added.size()) +
                  " added, " + std::to_string(diff.channels_removed.size()) + " removed, " +
                  std::to_string(diff.channels_changed.size()) + " restarted, " +
                  std::to_string(diff.channels_unchanged.size()) + " unchanged";
  if (!retried.empty()) s += ", " + std::to_string(retried.size()) + " retried";
  auto list = [&](const char* what, const std::vector<std::string>& v) {
    if (!v.empty()) s += std::string("; ") + what + ": " + join(v);
  };
  auto ids = [](const std::vector<std::pair<std::string, std::string>>& v) {
    std::vector<std::string> out;
    out.reserve(v.size());
    for (const auto& p : v) out.push_back(p.first);
    return out;
  };
  list("agents added", diff.agents_added);
  list("agents changed", diff.agents_changed);
  list("agents removed", diff.agents_removed);
  list("settings applied", diff.settings_live);
  list("needs restart", diff.settings_needs_restart);
  list("kept on the old entry", ids(kept));
  list("not running", ids(failed));
  return s;
}

reloader::reloader(config::config& running, channel_set& channels, plugin::status_board& board,
                   turns::turn_service& turns, plugin::instance_directory& directory)
    : running_(running), channels_(channels), board_(board), turns_(turns), directory_(directory) {}

reload_outcome reloader::reload_file() {
  auto loaded = config::load_config(running_.file);
  if (!loaded.cfg) {
    reload_outcome out;
    out.status = reload_outcome::result::invalid;
    for (const auto& e : loaded.errors) {
      out.errors.push_back(e.to_string());
      spdlog::error("reload: {}", out.errors.back());
    }
    spdlog::error("{}", out.summary());
    return out;
  }
  return apply(std::move(*loaded.cfg));
}

void reloader::stop_channels(const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    spdlog::info("{}stopping (reload)", common::log_tag({.channel = id}));
    channels_.stop(id, running_.host.shutdown_timeout);
  }
}

void reloader::refresh_board(const config::config& next, const config::config_diff& d) {
  for (const auto& id : d.channels_removed) {
    board_.remove(id);
    directory_.remove(id);  // /hooks/<id> answers 404 from now on
  }
  for (const auto& id : d.channels_changed) {
    const auto* ch = find_channel(next, id);
    board_.update(id, [&](plugin::channel_status& c) {
      auto fresh = initial_status(*ch);
      fresh.inbound_accepted = c.inbound_accepted;  // counters are the channel's, not the run's
      fresh.inbound_duplicates = c.inbound_duplicates;
      fresh.inbound_refused = c.inbound_refused;
      if (fresh.agent == c.agent) fresh.agent_problem = c.agent_problem;
      c = std::move(fresh);
    });
  }
  for (const auto& id : d.channels_added) {
    board_.add(initial_status(*find_channel(next, id)));
    directory_.expect(id);  // /hooks/<id> answers 503 until it runs
  }
}

reload_outcome reloader::apply(config::config next) {
  reload_outcome out;
  config::config_diff& d = out.diff;
  d = config::diff_configs(running_, next);
  // What cannot change live keeps running as it is, and is reported again until a restart.
  next.host.listen = running_.host.listen;
  next.host.state = running_.host.state;
  next.host.api_tokens = running_.host.api_tokens;
  next.host.log.format = running_.host.log.format;
  next.host.turn_timeout = running_.host.turn_timeout;
  next.host.sse_keepalive = running_.host.sse_keepalive;
  next.host.http = running_.host.http;
  next.host.metrics_require_token = running_.host.metrics_require_token;
  next.host.health = running_.host.health;
  next.identity = running_.identity;
  for (const auto& key : d.settings_needs_restart)
    spdlog::warn("reload: {} changed; it takes effect at the next start (restart the host)", key);
  // Live settings.
  if (next.host.log.level != running_.host.log.level)
    spdlog::default_logger()->set_level(spdlog::level::from_str(next.host.log.level));
  channels_.set_plugin_dirs(plugin_search_path(next.host.plugin_dirs));
  channels_.set_start_timeout(next.host.shutdown_timeout);

  // A running channel is replaced only once its new plugin loads: else it keeps its old entry.
  std::vector<std::string> restart;
  for (const auto& id : d.channels_changed) {
    config::channel_config* ch = find_channel(next, id);
    if (ch->enabled && channels_.running(id)) {
      auto check = channels_.check_plugin(*ch);
      if (!check.module) {
        const std::string why = check.error->to_string();
        spdlog::error("{}not restarted, keeps running as before: plugin refused: {}",
                      common::log_tag({.channel = id}), why);
        out.kept.emplace_back(id, why);
        *ch = *find_channel(running_, id);
        continue;
      }
    }
    restart.push_back(id);
  }
  d.channels_changed = restart;

  std::vector<std::string> to_stop;  // reverse order of the running configuration
  for (auto it = running_.channels.rbegin(); it != running_.channels.rend(); ++it)
    if (contains(d.channels_removed, it->id) || contains(restart, it->id))
      to_stop.push_back(it->id);
  stop_channels(to_stop);
  turns_.reconfigure(next);
  if (on_apply) on_apply(next);
  refresh_board(next, d);

  std::vector<std::string> unchanged;
  for (const auto& ch : next.channels) {
    const bool fresh = contains(d.channels_added, ch.id) || contains(restart, ch.id);
    const bool kept = std::any_of(out.kept.begin(), out.kept.end(),
                                  [&](const auto& k) { return k.first == ch.id; });
    const bool retry = !fresh && !kept && ch.enabled && !channels_.running(ch.id);
    if (retry) {
      out.retried.push_back(ch.id);
    } else if (!fresh && !kept) {
      unchanged.push_back(ch.id);
    }
    if (!ch.enabled || !(fresh || retry)) continue;
    channels_.start(ch);
    for (const auto& c : board_.snapshot()) {
      if (c.id != ch.id || (c.started && c.state != plugin::channel_state::failed)) continue;
      // A refused plugin is named with its file and the fix, as in the log.
      auto check = c.state == plugin::channel_state::refused ? channels_.check_plugin(ch)
                                                             : plugin::load_outcome{};
      out.failed.emplace_back(ch.id, check.error        ? check.error->to_string()
                                     : c.reason.empty() ? plugin::to_string(c.state)
                                                        : c.reason);
    }
  }
  d.channels_unchanged = unchanged;
  running_ = std::move(next);
  spdlog::info("{}", out.summary());
  return out;
}

}  // namespace patchbay::app
