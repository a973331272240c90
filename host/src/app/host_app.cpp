#include "app/host_app.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>

#include "access/gate.hpp"
#include "api/media_route.hpp"
#include "api/queue_routes.hpp"
#include "api/routes.hpp"
#include "api/server_options.hpp"
#include "app/channel_set.hpp"
#include "app/health_watch.hpp"
#include "app/lease_keeper.hpp"
#include "app/reload.hpp"
#include "app/sd_notify.hpp"
#include "commands/unreadable.hpp"
#include "identity/providers.hpp"
#include "media/media_service.hpp"
#include "metrics/registry.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "plugin/channel_status.hpp"
#include "state/pg_store.hpp"
#include "state/store.hpp"
#include "turns/strand_scheduler.hpp"
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
  using reload_done = std::function<void(const reload_outcome&)>;
  // Callers waiting for one reload at most; more are answered "busy" at once.
  static constexpr std::size_t max_reload_waiters = 64;

  config::config cfg;
  std::mutex mu;
  std::condition_variable cv;
  bool stop_requested = false;
  bool reload_requested = false;
  std::vector<reload_done> reload_waiters;  // bounded by max_reload_waiters
  // Lease changes for the control thread (channel_set::on_lease); a repeated one is dropped, so
  // it holds a few entries per leased channel at most.
  std::deque<lease_change> lease_changes;
  std::atomic<int> signals_seen{0};
  std::shared_ptr<const sd_notifier> notifier = std::make_shared<const sd_notifier>();

  explicit impl(config::config c) : cfg(std::move(c)) {}

  void request_stop() {
    {
      std::lock_guard lk(mu);
      stop_requested = true;
    }
    cv.notify_all();
  }

  void post_lease_change(lease_change c) {
    {
      std::lock_guard lk(mu);
      for (const auto& q : lease_changes)
        if (q.channel == c.channel && q.held == c.held && q.token == c.token) return;
      lease_changes.push_back(std::move(c));
    }
    cv.notify_all();
  }

  // Applies lease changes on this (the control) thread until every leased channel has had one,
  // or `limit` passed.
  void settle_leases(channel_set& running, milliseconds limit) {
    const auto deadline = steady_clock::now() + limit;
    while (running.leases_unsettled() > 0) {
      std::deque<lease_change> changes;
      {
        std::unique_lock lk(mu);
        if (!cv.wait_until(lk, deadline, [&] { return stop_requested || !lease_changes.empty(); }))
          return;
        if (stop_requested) return;
        changes.swap(lease_changes);
      }
      for (const auto& c : changes) running.on_lease(c);
    }
  }

  // Posts a reload for the control thread; requests made before it starts are coalesced into
  // one. `done` (may be empty) runs once with the outcome, on the control thread.
  void request_reload(reload_done done) {
    {
      std::lock_guard lk(mu);
      reload_requested = true;
      if (!done) {
        // SIGHUP: nobody waits for the outcome.
      } else if (reload_waiters.size() < max_reload_waiters) {
        reload_waiters.push_back(std::move(done));
        done = nullptr;
      }
    }
    cv.notify_all();
    if (done) {  // too many waiting; a reload is on its way for them
      reload_outcome o;
      o.status = reload_outcome::result::busy;
      done(o);
    }
  }

  // The control thread between start-up and stop: runs reloads as they are requested.
  void serve(reloader& reloads, channel_set& running, const plugin::status_board& registry,
             const std::string& endpoint) {
    for (;;) {
      std::vector<reload_done> waiters;
      std::deque<lease_change> leases;
      bool reload = false;
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return stop_requested || reload_requested || !lease_changes.empty(); });
        if (stop_requested) break;
        leases.swap(lease_changes);
        reload = reload_requested;
        reload_requested = false;  // later requests: one more reload, they may see a newer file
        if (reload) waiters.swap(reload_waiters);
      }
      for (const auto& c : leases) running.on_lease(c);
      if (!reload) continue;
      notifier->notify("RELOADING=1\n" + sd_notifier::monotonic_usec() +
                       "\nSTATUS=reloading the configuration");
      reload_outcome out = reloads.reload_file();
      notifier->notify("READY=1\n" + sd_notifier::status_line(status_summary(registry, endpoint) +
                                                              "; " + out.summary()));
      for (auto& w : waiters) w(out);
    }
    // Whoever still waits gets an answer: the host is stopping.
    std::vector<reload_done> waiters;
    {
      std::lock_guard lk(mu);
      waiters.swap(reload_waiters);
    }
    reload_outcome stopping;
    stopping.status = reload_outcome::result::stopping;
    for (auto& w : waiters) w(stopping);
  }

  // One line for systemd's STATUS=: "3/4 channels started (not started: x); listening on ...".
  static std::string status_summary(const plugin::status_board& registry,
                                    const std::string& endpoint) {
    std::size_t enabled = 0, started = 0;
    std::string missing;
    for (const auto& c : registry.snapshot()) {
      if (!c.enabled) continue;
      ++enabled;
      if (c.started && c.state != plugin::channel_state::failed)
        ++started;
      else
        missing += (missing.empty() ? "" : ", ") + c.id;
    }
    std::string s = std::to_string(started) + "/" + std::to_string(enabled) + " channels started";
    if (!missing.empty()) s += " (not started: " + missing + ")";
    return s + "; listening on " + endpoint;
  }

  // The media service on its own strand, its cache directory opened; null (logged) when the
  // directory cannot be used.
  std::shared_ptr<media::service> make_media(state::store& store, turns::strand_scheduler& sched,
                                             plugin::instance_directory& channels) {
    auto secret = store.kv_get("media", "secret");
    if (!secret || secret->size() != 64) {
      secret = media::random_secret();
      store.kv_set("media", "secret", *secret, [](const std::string& err) {
        if (!err.empty()) spdlog::warn("cannot store the media secret: {}", err);
      });
    }
    media::service_env env;
    env.sched = &sched;
    env.post = [st = sched.strand()](std::function<void()> fn) { st.post(std::move(fn)); };
    env.now_unix_ms = [] {
      return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    };
    env.fetch = api::media_fetcher(channels);
    auto svc = std::make_shared<media::service>(cfg.host.media, *secret, std::move(env));
    if (std::string err = svc->open(); !err.empty()) {
      spdlog::error("cannot start: media cache: {}; fix: check host.media.cache_dir", err);
      return nullptr;
    }
    return svc;
  }

  // The address agents reach the host at: a wildcard bind is reached on loopback.
  static std::string reachable(const std::string& endpoint) {
    if (endpoint.rfind("0.0.0.0:", 0) == 0) return "127.0.0.1" + endpoint.substr(7);
    if (endpoint.rfind("[::]:", 0) == 0) return "[::1]" + endpoint.substr(4);
    return endpoint;
  }

  int run() {
    std::unique_ptr<state::store> store;
    const bool postgres = cfg.host.state.engine == config::state_engine::postgres;
    state::store_options store_opt;
    store_opt.replica_id = cfg.host.replica.id;  // the `owner` of the rows this replica writes
    try {
      if (postgres)
        store = state::open_postgres_store({cfg.host.state.url}, store_opt);
      else
        store = state::open_sqlite_store(cfg.host.state.path, store_opt);
    } catch (const std::exception& e) {  // the text names the server, never the URL's secret
      spdlog::error("cannot start: {}; fix: {}", e.what(),
                    postgres ? "check host.state.url and that the database accepts connections"
                             : "check host.state.path and its directory permissions");
      return 1;
    }

    kit::io_runtime rt(2);
    plugin::status_board registry;
    for (const auto& ch : cfg.channels) registry.add(initial_status(ch));
    // The durable outbound queue's depth per channel in /v1/channels (read from memory).
    registry.set_queue_probe([st = store.get(), &registry] {
      std::map<std::string, plugin::status_board::queue_reading> out;
      for (const auto& [id, f] : api::queue_stats(*st, registry.now_unix_ms()))
        out[id] = {f.depth, f.dead, f.oldest_age_ms};
      return out;
    });

    // Identity-binding providers: one set, shared by the turn service (/init, /unbind, user
    // tokens) and the HTTP callback routes.
    auto identities = std::make_shared<identity::provider_registry>(rt, cfg, *store);
    metrics::registry counts;  // outlives the turn service, the channels and the HTTP server
    // Who may talk to the bot (docs/architecture.md "Access control"): approvals and pairing
    // codes from the store, read here once; the gate is the inbound path's first front stage and
    // outlives the turn service.
    auto pairings = std::make_shared<access::pairing_book>(access::kv_port{
        [st = store.get()](const std::string& i, const std::string& k) { return st->kv_get(i, k); },
        [st = store.get()](const std::string& i, const std::string& k, std::string v) {
          st->kv_set(i, k, std::move(v), nullptr);
        }});
    for (const auto& ch : cfg.channels) pairings->load(ch.id);
    access::gate gate(cfg, pairings, &counts);
    // An agent's health (e.g. a process agent's crash loop) shows on every channel it answers.
    turns::turn_service turns(
        rt, cfg, *store,
        [&registry](const std::string& agent, const std::string& problem) {
          for (const auto& c : registry.snapshot())
            if (c.agent == agent)
              registry.update(c.id, [&](plugin::channel_status& s) { s.agent_problem = problem; });
        },
        identities, &counts);
    gate.attach(turns.front_scheduler(),
                [&turns](const std::string& channel, const messages::inbound_message& m) {
                  turns.on_inbound(channel, m);
                });
    // The inbound path's front stages, in order (turns/inbound_front.hpp): the access gate, the
    // built-in commands, then the answer to a message without content.
    turns.add_front_stage(gate.stage());
    turns.add_front_stage(turns.commands_stage());
    turns.add_front_stage(commands::unreadable_stage());
    plugin::instance_directory channels;
    // Every configured channel is known before any starts: /hooks/<id> answers 503 (not 404)
    // until it runs.
    for (const auto& ch : cfg.channels) channels.expect(ch.id);
    api::api_context api{registry, cfg.host.api_tokens, steady_clock::now(), &turns, &channels,
                         &rt,      store.get()};
    api.metrics_require_token = cfg.host.metrics_require_token;
    api.channel_grace = cfg.host.health.channel_grace;
    api.metrics = &counts;
    api.access = &gate;
    const auto turn_callbacks = turns.callbacks();  // POST /v1/turns/<turn>/responses
    api.callbacks = turn_callbacks.get();
    // Inbound attachments (GET /v1/media/<id>): ids under a secret kept in the store, so a turn
    // run again after a restart offers the same URLs.
    turns::strand_scheduler media_sched(rt, rt.make_strand());
    auto media = make_media(*store, media_sched, channels);
    if (!media) return 1;
    api.media = media.get();
    api.media_out = &turns.materializer();
    const kit::http_server_options hopt = api::api_server_options(api, cfg.host);
    // POST /v1/reload: answered on the control thread once the reload ran.
    api.reload = [this](std::function<void(unsigned, std::string)> done) {
      request_reload([done = std::move(done)](const reload_outcome& o) {
        done(o.http_status(), o.to_json());
      });
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
    turns.set_media(media, "http://" + reachable(http.local_endpoint()));

    kit::signal_watch signals(rt, {SIGINT, SIGTERM}, [this](int sig) {
      if (signals_seen.fetch_add(1) > 0) {
        spdlog::warn("second signal {} during shutdown: exiting now", sig);
        spdlog::default_logger()->flush();
        std::_Exit(130);
      }
      spdlog::info("received signal {}, stopping", sig);
      request_stop();
    });
    // SIGHUP (systemd's ExecReload): a reload, run once the channels were brought up.
    kit::signal_watch hangups(rt, {SIGHUP}, [this](int) {
      spdlog::info("received SIGHUP: reloading the configuration from {}", cfg.file);
      request_reload(nullptr);
    });

    auto interrupted = turns.read_unfinished();  // the previous run's, before any turn of ours
    // host.admission: inbound events past the limit are refused before they are stored.
    const auto& adm = cfg.host.admission;
    auto admission = std::make_shared<plugin::admission_gate>(
        adm.max_turns_in_flight + adm.max_pending_turns, adm.retry_after,
        [&turns] { return turns.turns_past_intake(); });
    // Single-consumer channels run here only while this replica holds their lease.
    const state::replica_self self{cfg.host.replica.id, new_incarnation()};
    spdlog::info("replica {} (incarnation {}); leases last {} ms without a heartbeat", self.id,
                 self.incarnation, cfg.host.replica.lease_ttl.count());
    lease_keeper keeper(rt, store->leases(), self,
                        {cfg.host.replica.lease_ttl, cfg.host.replica.lease_ttl / 3, nullptr},
                        [this](lease_change c) { post_lease_change(std::move(c)); });
    channel_set running({rt, *store, registry, turns, channels, &counts, admission, &keeper, self,
                         [this](lease_change c) { post_lease_change(std::move(c)); }},
                        plugin_search_path(cfg.host.plugin_dirs), cfg.host.shutdown_timeout);
    for (const auto& ch : cfg.channels) {
      if (!ch.enabled) continue;
      {
        std::lock_guard lk(mu);
        if (stop_requested) break;
      }
      running.start(ch);
    }
    // The first renewal decides which leased channels run here: recovery waits for it (bounded),
    // so a leased channel's cut turns find their channel running instead of being closed.
    settle_leases(running, std::min(cfg.host.replica.lease_ttl, milliseconds(5000)));
    turns.recover(std::move(interrupted));
    health_watch watch(rt, registry, cfg.host.health);
    registry.set_startup_complete(true);
    std::string why;
    if (registry.ready(&why))
      spdlog::info("ready: {} channel(s) started", running.size());
    else
      spdlog::warn("not ready: {}", why);
    const std::string endpoint = http.local_endpoint();
    notifier->notify("READY=1\n" + sd_notifier::status_line(status_summary(registry, endpoint)));
    sd_watchdog watchdog(rt, notifier);

    reloader reloads(cfg, running, registry, turns, channels);
    reloads.on_apply = [&gate, &pairings](const config::config& next) {
      for (const auto& ch : next.channels) pairings->load(ch.id);  // added channels
      gate.reconfigure(next);
    };
    serve(reloads, running, registry, endpoint);
    notifier->notify("STOPPING=1\nSTATUS=stopping");
    registry.set_startup_complete(false);  // /readyz answers 503 from here on
    watch.stop();                          // stopping channels is no failure to report
    turns.shutdown();                      // running turns end with an error the user sees
    running.stop_all(cfg.host.shutdown_timeout);
    keeper.stop(milliseconds(2000));  // after the channels: other replicas take over at once
    // In-flight responses get a second to finish; wait for that before stopping the runtime.
    auto http_stopped = std::make_shared<std::promise<void>>();
    http.stop(milliseconds(1000), [http_stopped] { http_stopped->set_value(); });
    http_stopped->get_future().wait_for(seconds(3));
    media->shutdown();
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
