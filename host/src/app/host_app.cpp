#include "app/host_app.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <future>
#include <mutex>

#include "api/routes.hpp"
#include "api/server_options.hpp"
#include "app/channel_set.hpp"
#include "app/health_watch.hpp"
#include "identity/providers.hpp"
#include "metrics/registry.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "plugin/channel_status.hpp"
#include "state/store.hpp"
#include "turns/turn_service.hpp"

namespace patchbay::app {
namespace fs = std::filesystem;
using namespace std::chrono;

std::vector<std::string> plugin_search_path(const std::vector<std::string>& configured) {
  std::vector<std::string> dirs = configured;
  // The host never sets environment variables, so reading one cannot race a writer.
  if (const char* env = std::getenv("PATCHBAY_PLUGIN_PATH")) {  // NOLINT(concurrency-mt-unsafe)
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
    metrics::registry counts;  // outlives the turn service, the channels and the HTTP server
    // An agent's health (e.g. a process agent's crash loop) shows on every channel it answers.
    turns::turn_service turns(
        rt, cfg, *store,
        [&registry](const std::string& agent, const std::string& problem) {
          for (const auto& c : registry.snapshot())
            if (c.agent == agent)
              registry.update(c.id, [&](plugin::channel_status& s) { s.agent_problem = problem; });
        },
        identities, &counts);
    plugin::instance_directory channels;
    // Every configured channel is known before any starts: /hooks/<id> answers 503 (not 404)
    // until it runs.
    for (const auto& ch : cfg.channels) channels.expect(ch.id);
    api::api_context api{registry, cfg.host.api_tokens, steady_clock::now(), &turns, &channels,
                         &rt,      store.get()};
    api.metrics_require_token = cfg.host.metrics_require_token;
    api.channel_grace = cfg.host.health.channel_grace;
    api.metrics = &counts;
    const kit::http_server_options hopt = api::api_server_options(api, cfg.host);
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
    channel_set running({rt, *store, registry, turns, channels, &counts},
                        plugin_search_path(cfg.host.plugin_dirs), cfg.host.shutdown_timeout);
    for (const auto& ch : cfg.channels) {
      if (!ch.enabled) continue;
      {
        std::lock_guard lk(mu);
        if (stop_requested) break;
      }
      running.start(ch);
    }
    turns.recover(std::move(interrupted));
    health_watch watch(rt, registry, cfg.host.health);
    registry.set_startup_complete(true);
    std::string why;
    if (registry.ready(&why))
      spdlog::info("ready: {} channel(s) started", running.size());
    else
      spdlog::warn("not ready: {}", why);

    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return stop_requested; });
    }
    registry.set_startup_complete(false);  // /readyz answers 503 from here on
    watch.stop();                          // stopping channels is no failure to report
    turns.shutdown();                      // running turns end with an error the user sees
    running.stop_all(cfg.host.shutdown_timeout);
    // In-flight responses get a second to finish; wait for that before stopping the runtime.
    auto http_stopped = std::make_shared<std::promise<void>>();
    http.stop(milliseconds(1000), [http_stopped] { http_stopped->set_value(); });
    http_stopped->get_future().wait_for(seconds(3));
    store->close();
    rt.stop();
    spdlog::info("patchbay stopped");
    return 0;
  }
};

host_app::host_app(config::config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}
host_app::~host_app() = default;
int host_app::run() { return impl_->run(); }
void host_app::request_stop() { impl_->request_stop(); }

}  // namespace patchbay::app
