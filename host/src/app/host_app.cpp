#include "app/host_app.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <future>
#include <mutex>

#include "api/proactive_send.hpp"
#include "api/routes.hpp"
#include "identity/providers.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "plugin/channel_instance.hpp"
#include "plugin/channel_status.hpp"
#include "plugin/loader.hpp"
#include "state/store.hpp"
#include "turns/turn_service.hpp"

namespace patchbay::app {
namespace fs = std::filesystem;
using namespace std::chrono;

std::vector<std::string> plugin_search_path(const std::vector<std::string>& configured) {
  std::vector<std::string> dirs = configured;
  if (const char* env = std::getenv("PATCHBAY_PLUGIN_PATH")) {
    std::string s = env;
    for (size_t pos = 0; pos <= s.size();) {
      size_t next = s.find(':', pos);
      if (next == std::string::npos) next = s.size();
      if (next > pos) dirs.push_back(s.substr(pos, next - pos));
      pos = next + 1;
    }
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // Installed layout: <prefix>/bin/patchbay and <prefix>/<libdir>/patchbay/plugins, wherever
    // the package put the prefix. Build tree: build/bin/patchbay and build/plugins.
    fs::path prefix = exe.parent_path().parent_path();
    for (const fs::path& d : {prefix / PATCHBAY_REL_PLUGIN_DIR, prefix / "plugins"})
      if (fs::is_directory(d, ec)) dirs.push_back(d.string());
  }
  dirs.push_back(PATCHBAY_DEFAULT_PLUGIN_DIR);
  return dirs;
}

struct host_app::impl {
  config::config cfg;
  std::mutex mu;
  std::condition_variable cv;
  bool stop_requested = false;
  std::atomic<int> signals_seen{0};

  explicit impl(config::config c) : cfg(std::move(c)) {}

  void request_stop() {
    {
      std::lock_guard lk(mu);
      stop_requested = true;
    }
    cv.notify_all();
  }

  int64_t now_ms() { return plugin::system_clock_source().now_unix_ms(); }

  void on_status(plugin::status_board& reg, const std::string& id, const pb_status& st) {
    std::string reason(plugin::to_view(st.reason).substr(0, 1024));
    const auto state = plugin::from_pb_state(st.state);
    bool changed = false;
    reg.update(id, [&](plugin::channel_status& c) {
      changed = c.state != state || c.reason != reason || c.attempt != st.attempt;
      if (c.state != state) c.since_unix_ms = now_ms();
      c.state = state;
      c.reason = reason;
      c.attempt = st.attempt;
      c.next_attempt_unix_ms = st.next_attempt_unix_ms;
    });
    if (!changed) return;
    auto level = st.state == PB_STATE_FAILED ? spdlog::level::err
                 : st.state == PB_STATE_DEGRADED || st.state == PB_STATE_RECONNECTING
                     ? spdlog::level::warn
                     : spdlog::level::info;
    if (st.state == PB_STATE_RECONNECTING)
      spdlog::log(level, "channel {}: reconnecting (attempt {}, next try in {} ms){}{}", id,
                  st.attempt, std::max<int64_t>(0, st.next_attempt_unix_ms - now_ms()),
                  reason.empty() ? "" : ": ", reason);
    else
      spdlog::log(level, "channel {}: {}{}{}", id, plugin::to_string(state),
                  reason.empty() ? "" : ": ", reason);
  }

  int run() {
    std::unique_ptr<state::store> store;
    try {
      store = state::open_sqlite_store(cfg.host.state.path);
    } catch (const std::exception& e) {
      spdlog::error("cannot start: {}; fix: check host.state.path and its directory permissions",
                    e.what());
      return 1;
    }
    if (cfg.host.state.engine == config::state_engine::postgres) {
      spdlog::error(
          "cannot start: state engine 'postgres' is not available in this build yet; "
          "fix: use host.state.engine: sqlite");
      return 1;
    }

    kit::io_runtime rt(2);
    plugin::status_board registry;
    for (const auto& ch : cfg.channels) {
      plugin::channel_status st;
      st.id = ch.id;
      st.plugin = ch.plugin;
      st.enabled = ch.enabled;
      st.state = ch.enabled ? plugin::channel_state::pending : plugin::channel_state::disabled;
      st.since_unix_ms = now_ms();
      st.agent = ch.agent;
      registry.add(std::move(st));
    }

    // Identity-binding providers: one set, shared by the turn service (/init, /unbind, user
    // tokens) and the HTTP callback routes.
    auto identities = std::make_shared<identity::provider_registry>(rt, cfg, *store);
    // An agent's health (e.g. a process agent's crash loop) shows on every channel it answers.
    turns::turn_service turns(
        rt, cfg, *store,
        [&registry](const std::string& agent, const std::string& problem) {
          for (const auto& c : registry.snapshot())
            if (c.agent == agent)
              registry.update(c.id, [&](plugin::channel_status& s) { s.agent_problem = problem; });
        },
        identities);
    plugin::instance_directory channels;
    api::api_context api{registry, cfg.host.api_tokens, steady_clock::now(), &turns, &channels,
                         &rt,      store.get()};
    kit::http_server_options hopt;
    hopt.listen = cfg.host.listen;
    // Everything takes at most max_body_bytes (1 MiB) but the proactive sends' long reports.
    hopt.max_body_bytes_for = [default_limit = hopt.max_body_bytes](std::string_view method,
                                                                    std::string_view target) {
      return method == "POST" && target == "/v1/messages" ? api::proactive_max_body_bytes
                                                          : default_limit;
    };
    // GET /oauth/<provider>/callback of identity bindings, without the API token.
    kit::http_server http(rt, hopt,
                          identity::with_identity_routes(api::make_api_handler(api), identities));
    try {
      http.start();
    } catch (const std::exception& e) {
      spdlog::error(
          "cannot start: HTTP server: {}; fix: change host.listen or stop the process "
          "using that port",
          e.what());
      return 1;
    }
    spdlog::info("patchbay {} listening on http://{}", PATCHBAY_VERSION, http.local_endpoint());

    kit::signal_watch signals(rt, {SIGINT, SIGTERM}, [this](int sig) {
      if (signals_seen.fetch_add(1) > 0) {
        spdlog::warn("second signal {} during shutdown: exiting now", sig);
        spdlog::default_logger()->flush();
        std::_Exit(130);
      }
      spdlog::info("received signal {}, stopping", sig);
      request_stop();
    });

    auto interrupted = turns.read_unfinished();  // the previous run's, before any turn of ours
    auto started = start_channels(rt, *store, registry, turns, channels);
    turns.recover(std::move(interrupted));
    registry.set_startup_complete(true);
    std::string why;
    if (registry.ready(&why))
      spdlog::info("ready: {} channel(s) started", started.size());
    else
      spdlog::warn("not ready: {}", why);

    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return stop_requested; });
    }
    registry.set_startup_complete(false);  // /readyz answers 503 from here on
    turns.shutdown();                      // running turns end with an error the user sees
    stop_channels(started, registry);
    // In-flight responses get a second to finish; wait for that before stopping the runtime.
    auto http_stopped = std::make_shared<std::promise<void>>();
    http.stop(milliseconds(1000), [http_stopped] { http_stopped->set_value(); });
    http_stopped->get_future().wait_for(seconds(3));
    store->close();
    rt.stop();
    spdlog::info("patchbay stopped");
    return 0;
  }

  std::vector<std::shared_ptr<plugin::channel_instance>> start_channels(
      kit::io_runtime& rt, state::store& store, plugin::status_board& registry,
      turns::turn_service& turns, plugin::instance_directory& directory) {
    std::vector<std::shared_ptr<plugin::channel_instance>> started;
    plugin::loader loader(plugin_search_path(cfg.host.plugin_dirs));
    for (const auto& ch : cfg.channels) {
      if (!ch.enabled) continue;
      {
        std::lock_guard lk(mu);
        if (stop_requested) break;
      }
      auto mark = [&](plugin::channel_state state, const std::string& reason) {
        registry.update(ch.id, [&](plugin::channel_status& c) {
          c.state = state;
          c.reason = reason;
          c.start_attempted = true;
          c.since_unix_ms = now_ms();
        });
      };
      auto out = loader.load(ch.plugin);
      if (!out.module) {
        spdlog::error("channel {}: plugin refused: {}", ch.id, out.error->to_string());
        mark(plugin::channel_state::refused, out.error->reason);
        continue;
      }
      registry.update(ch.id, [&](plugin::channel_status& c) {
        c.plugin = out.module->name;
        c.plugin_version = out.module->version;
        c.platform = out.module->platform;
      });
      mark(plugin::channel_state::starting, "");
      plugin::instance_events ev;
      std::string id = ch.id;
      ev.status = [this, &registry, id](const pb_status& st) { on_status(registry, id, st); };
      ev.inbound_outcome = [&registry, id](pb_inbound_disposition d) {
        registry.update(id, [d](plugin::channel_status& c) {
          if (d == PB_INBOUND_ACCEPTED)
            ++c.inbound_accepted;
          else if (d == PB_INBOUND_DUPLICATE)
            ++c.inbound_duplicates;
          else
            ++c.inbound_refused;
        });
      };
      ev.inbound = [id, &turns](const messages::inbound_message& m) {
        spdlog::debug("channel {}: inbound message {} in conversation {} stored", id, m.event_id,
                      m.conversation_id);
        turns.on_inbound(id, m);
      };
      auto inst = plugin::channel_instance::make(rt, out.module, ch.id, ch.config_json, store,
                                                 std::move(ev));
      // The promise is shared: a plugin that answers after we gave up must not touch freed memory.
      turns.add_channel(inst, ch.agent);  // before start: a plugin may emit while starting
      directory.add(ch.id, inst);         // hooks answer 503 until it runs
      auto p = std::make_shared<std::promise<std::string>>();
      auto f = p->get_future();
      inst->start([p](const std::string& err) { p->set_value(err); });
      if (f.wait_for(cfg.host.shutdown_timeout) != std::future_status::ready) {
        spdlog::error("channel {}: plugin {} did not return from create/start within {} ms", ch.id,
                      out.module->name, cfg.host.shutdown_timeout.count());
        mark(plugin::channel_state::failed, "start timed out");
        started.push_back(inst);  // still owned, shut down with the rest
        continue;
      }
      if (std::string err = f.get(); !err.empty()) {
        turns.remove_channel(ch.id);
        spdlog::error("channel {}: {} (plugin {} at {})", ch.id, err, out.module->name,
                      out.module->path);
        mark(plugin::channel_state::failed, err);
        continue;
      }
      registry.update(ch.id, [](plugin::channel_status& c) {
        c.started = true;
        if (c.state == plugin::channel_state::starting || c.state == plugin::channel_state::pending)
          c.state = plugin::channel_state::starting;
      });
      spdlog::info("channel {}: started (plugin {} {} at {})", ch.id, out.module->name,
                   out.module->version, out.module->path);
      started.push_back(std::move(inst));
    }
    return started;
  }

  void stop_channels(std::vector<std::shared_ptr<plugin::channel_instance>>& started,
                     plugin::status_board& registry) {
    auto deadline = steady_clock::now() + cfg.host.shutdown_timeout;
    for (auto it = started.rbegin(); it != started.rend(); ++it) {
      auto& inst = *it;
      auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
      if (left < milliseconds(100)) left = milliseconds(100);
      auto p = std::make_shared<std::promise<void>>();
      auto f = p->get_future();
      inst->shutdown(left, [p] { p->set_value(); });
      // The instance enforces `left` on the plugin; the extra second covers draining callbacks.
      if (f.wait_for(left + seconds(1)) != std::future_status::ready) {
        spdlog::error("channel {}: did not shut down in time; continuing", inst->id());
        continue;
      }
      registry.update(inst->id(), [&](plugin::channel_status& c) {
        c.started = false;
        c.state = plugin::channel_state::stopped;
        c.since_unix_ms = now_ms();
      });
      spdlog::info("channel {}: shut down", inst->id());
    }
  }
};

host_app::host_app(config::config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}
host_app::~host_app() = default;
int host_app::run() { return impl_->run(); }
void host_app::request_stop() { impl_->request_stop(); }

}  // namespace patchbay::app
