// The turn service's state and logic behind its public methods (turns/turn_service.hpp): the
// agents, the router, the channels, front stages, outbound worker and recovery. Private to
// turn_service.cpp; everything in it runs on the service's strand unless it says otherwise.
#pragma once

#include "turns/turn_service.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <set>

#include "agents/agent.hpp"
#include "agents/host_answer_agent.hpp"
#include "agents/turn_callbacks.hpp"
#include "api/proactive_send.hpp"
#include "commands/dispatcher.hpp"
#include "config/config.hpp"
#include "identity/providers.hpp"
#include "media/media_read.hpp"
#include "media/outbound_materializer.hpp"
#include "media/turn_attachments.hpp"
#include "metrics/registry.hpp"
#include "outbound/worker.hpp"
#include "patchbay/common/log_subject.hpp"
#include "plugin/channel_instance.hpp"
#include "render/capabilities.hpp"
#include "render/platform_output.hpp"
#include "render/sse_output.hpp"
#include "state/store.hpp"
#include "turns/agent_table.hpp"
#include "turns/router.hpp"
#include "turns/strand_scheduler.hpp"
#include "turns/turn_meter.hpp"
#include "turns/typing_keeper.hpp"

namespace patchbay::turns {
namespace json = boost::json;

// The state-store namespace of the per-conversation thread epochs (/new).
inline constexpr const char* epoch_instance = "commands";

struct turn_service::impl final : turns::agent_starter,
                                  commands::host_ops,
                                  std::enable_shared_from_this<turn_service::impl> {
  static turns::router_limits limits_from(const config::config& cfg) {
    turns::router_limits l;
    l.idle_timeout = cfg.host.turn_timeout;
    // host.admission: channel turns past intake never exceed `admitted`, so none of them meets a
    // full router or thread queue (the "busy" answer) because of a burst the admission let in;
    // what is left of max_turns is for API turns.
    const auto& a = cfg.host.admission;
    const std::size_t admitted = a.max_turns_in_flight + a.max_pending_turns;
    l.max_running = a.max_turns_in_flight;
    l.max_turns = std::max(l.max_turns, 2 * admitted);
    l.max_queued_per_thread = std::max(l.max_queued_per_thread, admitted);
    return l;
  }

  // Agents' files (host.media.outbound), spooled beside the state database.
  static media::outbound_options media_options(const config::config& cfg) {
    const auto& m = cfg.host.media_outbound;
    media::outbound_options o;
    auto dir = std::filesystem::path(cfg.host.state.path).parent_path();
    o.spool_dir = (dir.empty() ? std::filesystem::path(".") : dir).append("media-out").string();
    o.allowed_paths = m.allowed_paths;
    o.max_bytes = m.max_bytes;
    o.fetch_timeout = m.fetch_timeout;
    o.max_redirects = m.max_redirects;
    return o;
  }

  impl(kit::io_runtime& rt, const config::config& cfg, state::store& store,
       agent_health_fn on_health, std::shared_ptr<identity::provider_registry> shared_identities,
       metrics::registry* shared_metrics)
      : on_health(std::move(on_health)),
        rt(rt),
        store(store),
        keepalive(cfg.host.sse_keepalive),
        materializer(std::make_unique<media::outbound_materializer>(rt, media_options(cfg))),
        counts(shared_metrics != nullptr ? *shared_metrics : own_metrics),
        meter(counts),
        sched(rt, rt.make_strand()),
        router(sched, *this, limits_from(cfg), &meter),
        identities(shared_identities
                       ? std::move(shared_identities)
                       : std::make_shared<identity::provider_registry>(rt, cfg, store)) {
    read_channels(cfg);
    std::random_device rd;
    id_prefix = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    agents.configure(cfg.agents, agent_factory());
    const std::string host_answer(agents::host_answer_agent_name);
    agents.add_fixed(host_answer, "host", agents::make_host_answer_agent(env_for(host_answer)));
    if (!identities->empty()) {  // /init and /unbind turns
      const std::string name(identity::command_agent_name);
      agents.add_fixed(name, "identity", identity::make_command_agent(resolver(), env_for(name)));
    }
  }

  // The channels' identity providers and command settings.
  void read_channels(const config::config& cfg) {
    channel_identity.clear();
    channel_commands.clear();
    for (const auto& c : cfg.channels) {
      if (!c.identity.empty()) channel_identity[c.id] = c.identity;
      channel_commands[c.id] = c.commands;
    }
  }

  // A conversation thread's key without its epoch: channel, conversation, platform thread.
  static std::string thread_key(const std::string& channel_id, const std::string& conversation,
                                const std::string& thread) {
    return channel_id + "\x1f" + conversation + "\x1f" + thread;
  }
  static std::string base_thread(const std::string& channel_id,
                                 const messages::inbound_message& m) {
    return thread_key(channel_id, m.conversation_id, m.thread_id);
  }
  // The thread key turns of `base` use now: after a /new, the base with its epoch.
  std::string current_thread(const std::string& base) {
    auto epoch = store.kv_get(epoch_instance, "epoch:" + base);
    return epoch && !epoch->empty() && *epoch != "0" ? base +
                                                           "\x1f"
                                                           "e" +
                                                           *epoch
                                                     : base;
  }

  // commands::host_ops (on the strand)
  commands::stop_report stop_running(
      const messages::inbound_message& m,
      const std::function<bool(const std::string&)>& may_stop) override {
    commands::stop_report report;
    std::vector<std::string> ids;
    for (const auto* t : router.running_in(base_thread(m.channel_id, m))) {
      if (t->agent == agents::host_answer_agent_name || t->agent == identity::command_agent_name)
        continue;
      auto asker = identity::read_turn_asker(t->request_json);
      if (asker && may_stop(asker->sender))
        ids.push_back(t->turn_id);
      else
        ++report.refused;
    }
    for (const auto& id : ids) {
      spdlog::info("{}stopped by /stop of {}", common::log_tag({.turn = id}), m.sender_id);
      if (router.stop(id, commands::texts::stopped_turn())) ++report.stopped;
    }
    return report;
  }
  void start_new_thread(const messages::inbound_message& m) override {
    const std::string base = base_thread(m.channel_id, m);
    auto epoch = store.kv_get(epoch_instance, "epoch:" + base);
    uint64_t n = 0;
    if (epoch) n = std::strtoull(epoch->c_str(), nullptr, 10);
    // Memory reads see the new epoch at once; a failed write only loses it across a restart.
    store.kv_set(epoch_instance, "epoch:" + base, std::to_string(n + 1),
                 [channel = m.channel_id](const std::string& err) {
                   if (!err.empty())
                     spdlog::warn("{}cannot store a new thread epoch (/new): {}",
                                  common::log_tag({.channel = channel}), err);
                 });
  }

  std::optional<front_verdict> commands_verdict(const front_input& in) {
    auto cmd = channel_commands.find(in.channel_id);
    const config::commands_config defaults;
    const config::commands_config& cfg = cmd == channel_commands.end() ? defaults : cmd->second;
    const bool identity = channel_identity.count(in.channel_id) != 0 && !identities->empty();
    return commands::dispatch(
        commands::request{in.channel_id, in.platform, in.message, cfg,
                          identity ? identity::command_agent_name : std::string_view()},
        *this);
  }

  turns::agent_table::factory agent_factory() {
    return [this](const config::agent_config& a, std::string& err) {
      return agents::make_agent(a, env_for(a.name), err);
    };
  }

  // Who asks in a channel turn on a channel with identity bindings (on the router's strand).
  identity::subject_resolver resolver() {
    return [this](const std::string& request_json) -> std::optional<identity::resolved_subject> {
      auto asker = identity::read_turn_asker(request_json);
      if (!asker) return std::nullopt;
      auto ch = channels.find(asker->channel);
      auto idp = channel_identity.find(asker->channel);
      if (ch == channels.end() || idp == channel_identity.end()) return std::nullopt;
      auto svc = identities->find(idp->second);
      if (!svc) return std::nullopt;
      return identity::resolved_subject{
          svc,
          {ch->second.instance->module().platform, asker->channel, asker->sender, asker->direct}};
    };
  }

  agents::agent_env env_for(const std::string& name) {
    agents::agent_env env;
    env.rt = &rt;
    env.sched = &sched;
    env.store = &store;
    env.name = name;
    env.callbacks = callbacks;
    std::weak_ptr<bool> live = alive;
    // Called from any thread: hop to the router's strand. `this` is valid while *alive is true,
    // and the strand runs nothing after the service is gone (checked through `live`).
    kit::strand st = sched.strand();
    env.deliver = [this, live, st](std::string payload) {
      st.post([this, live, payload = std::move(payload)] {
        if (auto a = live.lock(); a && *a) router.deliver(payload);
      });
    };
    env.fail = [this, live, st, errors = counts.agent(name)](std::string turn_id,
                                                             std::string text) {
      st.post([this, live, errors, turn_id = std::move(turn_id), text = std::move(text)] {
        if (auto a = live.lock(); a && *a && router.has_turn(turn_id)) {
          errors->error(metrics::agent_error_kind::failure);
          router.fail(turn_id, text);
        }
      });
    };
    env.report_health = [name, fn = on_health](std::string problem) {
      if (!problem.empty())
        spdlog::warn("agent {}: {}", name, problem);
      else
        spdlog::info("agent {}: healthy again", name);
      if (fn) fn(name, problem);
    };
    // Runs the resolver on the router's strand: agents call it from start().
    if (!identities->empty()) env.user_token = identity::make_user_token_fn(resolver());
    // The media service is set later (set_media, on the strand): looked up on the strand.
    env.read_media = [this, live, st](const std::string& id, std::uint64_t max_bytes,
                                      std::function<void(agents::media_read_result)> done) {
      st.post([this, live, id, max_bytes, done = std::move(done)]() mutable {
        auto a = live.lock();
        if (!a || !*a || !media)
          return done({.ok = false, .mime_type = {}, .bytes = {}, .error = "no media service"});
        media::read_bytes(*media, id, max_bytes, [done = std::move(done)](media::read_result r) {
          done({.ok = r.ok,
                .mime_type = std::move(r.mime_type),
                .bytes = std::move(r.bytes),
                .error = std::move(r.error)});
        });
      });
    };
    return env;
  }

  // turns::agent_starter
  bool start(const turns::turn_spec& t, std::string& error_text) override {
    if (!agents.start(t.agent, t.turn_id, t.request_json, error_text)) return false;
    typing.started(t.turn_id);  // a no-op for turns without a typing indicator
    return true;
  }
  void cancel(const std::string& turn_id) override { agents.cancel(turn_id); }
  bool at_capacity(const turns::turn_spec& t) override { return agents.at_capacity(t.agent); }
  turns::turn_deadlines deadlines(const turns::turn_spec& t) override {
    const agents::turn_deadlines d = agents.deadlines(t.agent);
    return {.idle = d.idle, .total = d.total};
  }

  // While replaced agents still finish turns: stop each once its last turn ended.
  void sweep_retired() {
    if (agents.sweep() == 0 || sweeping) return;
    sweeping = true;
    sched.schedule(std::chrono::seconds(1), [this] {
      sweeping = false;
      if (!stopping) sweep_retired();
    });
  }

  struct channel_entry {
    std::shared_ptr<plugin::channel_instance> instance;
    std::string agent;
    bool typing = true;  // the channel's `typing:` setting
  };

  // The typing keeper's way to the plugins; completions hop onto our strand.
  void send_typing(const std::string& channel_id, messages::typing_request req,
                   typing_keeper::done_fn done) {
    auto hop = [st = sched.strand(), live = std::weak_ptr<bool>(alive),
                done = std::move(done)](const messages::op_result& r) {
      st.post([live, done, r] {
        if (auto a = live.lock(); a && *a) done(r);
      });
    };
    auto ch = channels.find(channel_id);
    if (ch == channels.end())
      return hop(messages::op_result{PB_ERR_RETRYABLE, "channel not running", 0, {}});
    ch->second.instance->typing(std::move(req), std::move(hop));
  }

  // The typing indicator of a channel turn, when its channel wants one and its plugin has one.
  std::optional<typing_target> typing_for(const channel_entry& ch, const std::string& channel_id,
                                          const messages::inbound_message& m,
                                          const render::effective_caps& caps) const {
    if (!ch.typing || !caps.can_typing) return std::nullopt;
    typing_target t;
    t.channel_id = channel_id;
    t.request.conversation_id = m.conversation_id;
    t.request.thread_id = m.thread_id;
    t.request.reply_context = m.reply_context;
    t.request.user_id = m.sender_id;
    t.request.message_id = m.message_id;
    t.can_stop = ch.instance->module().abi_minor >= 3;  // older plugins read STOP as START
    return t;
  }

  // The outbound worker's way to the platforms: the running channel instances; their completions
  // hop from the channel's strand onto ours.
  struct channel_sink final : outbound::op_sink {
    explicit channel_sink(impl& s) : self(s) {}
    bool available(const std::string& id) override { return self.channels.count(id) != 0; }
    outbound::op_done hop(outbound::op_done done) {
      return [st = self.sched.strand(), live = std::weak_ptr<bool>(self.alive),
              done = std::move(done)](const messages::op_result& r) {
        st.post([live, done, r] {
          if (auto a = live.lock(); a && *a) done(r);
        });
      };
    }
    void send(const std::string& id, messages::outbound_message m,
              outbound::op_done done) override {
      auto ch = self.channels.find(id);
      if (ch == self.channels.end())
        return done(messages::op_result{PB_ERR_RETRYABLE, "channel not running", 0, {}});
      ch->second.instance->send(std::move(m), hop(std::move(done)));
    }
    void edit(const std::string& id, messages::edit_request r, outbound::op_done done) override {
      auto ch = self.channels.find(id);
      if (ch == self.channels.end())
        return done(messages::op_result{PB_ERR_RETRYABLE, "channel not running", 0, {}});
      ch->second.instance->edit(std::move(r), hop(std::move(done)));
    }
    impl& self;
  };

  outbound::worker_env worker_env() {
    outbound::worker_env env;
    env.sched = &sched;
    env.post = [st = sched.strand()](std::function<void()> fn) { st.post(std::move(fn)); };
    env.now_ms = [] {
      using namespace std::chrono;
      return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    };
    env.random01 = [this] { return jitter(rng); };
    env.log = [](int level, const std::string& text) {
      auto l = level >= 3   ? spdlog::level::err
               : level == 2 ? spdlog::level::warn
               : level == 1 ? spdlog::level::info
                            : spdlog::level::debug;
      spdlog::log(l, "{}", text);
    };
    return env;
  }

  static int64_t now_unix_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  // A platform driver that stays until its renderer has delivered everything.
  std::shared_ptr<render::platform_driver> make_driver(const std::string& channel_id,
                                                       render::turn_target target,
                                                       render::effective_caps caps) {
    std::string key = thread_key(channel_id, target.conversation_id, target.thread_id);
    auto d = std::make_shared<render::platform_driver>(
        channel_id, std::move(key), std::move(target), caps, sched, store, *worker,
        [this](render::platform_driver* p) { draining.erase(p); }, alive);
    d->set_materializer(materializer.get());
    draining.emplace(d.get(), d);
    return d;
  }

  // The front stages' verdict on an inbound message (turns/inbound_front.hpp): nullopt = the
  // channel's agent answers it.
  std::optional<front_verdict> decide(const std::string& channel_id, const channel_entry& ch,
                                      const messages::inbound_message& m) {
    const std::string& platform = ch.instance->module().platform;
    for (const auto& stage : front)
      if (auto verdict = stage(front_input{channel_id, platform, m})) return verdict;
    return std::nullopt;
  }

  // A durable inbound message becomes a turn (on the strand): admitted to the router under its
  // thread, rendered back to its channel. Also how a turn that never showed anything before a
  // restart is run again (decided afresh by the front stages).
  void start_turn(const std::string& channel_id, const channel_entry& ch,
                  const messages::inbound_message& m, const std::optional<front_verdict>& verdict) {
    if (verdict && verdict->what == front_verdict::kind::drop) {
      spdlog::debug("{}inbound {} not answered: {}", common::log_tag({.channel = channel_id}),
                    m.event_id, verdict->reason);
      return;
    }
    if (verdict && verdict->what == front_verdict::kind::hold) {
      spdlog::debug("{}inbound {} held: {}", common::log_tag({.channel = channel_id}), m.event_id,
                    verdict->reason);
      record_held_turn(channel_id, m);
      return;
    }
    const bool host_answer = verdict && verdict->what == front_verdict::kind::host_answer;
    api::remember_route(store, m.sender_id, {channel_id, m.conversation_id, m.thread_id});
    std::string id = channel_id + ":" + m.event_id;
    render::turn_target target{id,           m.conversation_id, m.thread_id,
                               m.message_id, m.reply_context,   m.sender_id};
    auto caps = render::narrow(ch.instance->module().caps, m.capabilities);
    auto driver = make_driver(channel_id, target, caps);
    driver->persist(driver->renderer().record());  // unfinished from now on, until terminal
    std::string thread = current_thread(base_thread(channel_id, m));
    // The host's own answers (commands, notices) run beside the conversation's turns, never
    // queued behind a running one (a /stop must not wait for the turn it stops).
    if (host_answer) thread += "\x1fhost";
    std::string agent = ch.agent;
    if (verdict && verdict->what == front_verdict::kind::agent && !verdict->agent.empty())
      agent = verdict->agent;
    if (host_answer) agent = agents::host_answer_agent_name;
    json::object request{
        {"turn", id},
        {"thread", thread},
        {"channel", channel_id},
        {"conversation", m.conversation_id},
        {"conversation_kind", messages::conversation_kind_name(m.conversation_kind)},
        {"sender", m.sender_id},
        {"sender_name", m.sender_name},
        // the message this turn answers (its reply context; the opaque reply token itself
        // stays in the host)
        {"message", m.message_id},
        {"thread_id", m.thread_id},
        {"text", m.text}};
    if (!host_answer && media && !m.attachments.empty())
      request["attachments"] =
          media::turn_attachments(*media, media_base_url, id, m, now_unix_ms());
    if (host_answer)
      request[agents::host_answer_key] = verdict->text;
    else if (verdict && verdict->what == front_verdict::kind::agent && !verdict->text.empty())
      request["command"] = verdict->text;  // e.g. the identity command agent's "init"
    std::unique_ptr<turn_output> output = driver->make_output();
    bool typed = false;  // a typing indicator while the agent works (not for the host's answers)
    if (auto t = host_answer ? std::nullopt : typing_for(ch, channel_id, m, caps);
        t && !router.has_turn(id) && typing.expect(id, std::move(*t))) {
      output = typing.wrap(id, std::move(output));
      typed = true;
    }
    turns::turn_spec spec{id, thread, agent, json::serialize(request), std::move(output)};
    if (router.admit(std::move(spec)) == turns::admission::duplicate_turn) {
      draining.erase(driver.get());  // already answered or answering: nothing to render
      if (typed) typing.forget(id);
    }
  }

  // A held message's turn row: unfinished and unstarted (nothing shown), so a restart before the
  // stage hands it back runs it again. The row the turn writes when it starts replaces it.
  void record_held_turn(const std::string& channel_id, const messages::inbound_message& m) {
    state::turn_row row;
    row.turn_id = channel_id + ":" + m.event_id;
    row.instance = channel_id;
    row.conversation_id = m.conversation_id;
    row.thread_id = m.thread_id;
    row.reply_to_message_id = m.message_id;
    store.save_turn(row, nullptr);
  }

  // Recovery of a turn cut mid-way: one notice, once the ops it had queued went out (a resumed
  // placeholder tells which message to edit).
  struct cut_turn {
    state::turn_row row;
    int open_ops = 0;
  };
  // A driver for a turn recovered from its stored row (no reply token: it stays with the run
  // that died), and the renderer state the row keeps. Null when its channel is not running.
  std::shared_ptr<render::platform_driver> recovery_driver(const state::turn_row& row,
                                                           render::turn_record& rec) {
    auto ch = channels.find(row.instance);
    if (ch == channels.end()) return nullptr;
    render::turn_target target{
        row.turn_id, row.conversation_id, row.thread_id, row.reply_to_message_id, "", ""};
    auto caps = render::narrow(ch->second.instance->module().caps, std::nullopt);
    rec.placeholder_id = row.placeholder_id;
    rec.flushed_text = row.flushed_text;
    rec.reply_token_spent = row.reply_token_spent;
    return make_driver(row.instance, target, caps);
  }
  void notify_cut(const state::turn_row& row) {
    render::turn_record rec;
    auto driver = recovery_driver(row, rec);
    if (!driver) return;
    driver->renderer().resume(rec);
    driver->renderer().on_error(
        "The gateway restarted while answering this message; please send it again.");
  }
  // Recovery of a turn whose answer was decided but not all queued (render/pending_plan.hpp): the
  // renderer continues its plan. An unreadable plan is logged and dropped (the turn stays ended).
  void continue_plan(const state::turn_row& row) {
    render::turn_record rec;
    auto driver = recovery_driver(row, rec);
    if (!driver) return;
    std::string err;
    auto plan = render::pending_plan_from_json(row.pending_plan, &err);
    if (!plan || !driver->renderer().restore(rec, *plan)) {
      spdlog::error("{}the rest of its answer cannot be continued ({}); it is not sent",
                    common::log_tag({row.instance, row.turn_id}), plan ? "unknown operation" : err);
      draining.erase(driver.get());
      state::turn_row done = row;
      done.pending_plan.clear();
      store.save_turn(done, nullptr);
    }
  }
  void on_recovered_op(const state::outbound_row& op, const messages::op_result& r) {
    if (!r.ok())
      spdlog::warn("{}queued {} from before the restart failed: {}",
                   common::log_tag({op.instance, op.turn_id}), state::to_string(op.kind),
                   r.message);
    auto it = cut_turns.find(op.turn_id);
    if (it == cut_turns.end()) return;
    if (op.kind == state::outbound_kind::placeholder && r.ok() &&
        it->second.row.placeholder_id.empty() && !r.message_id.empty()) {
      it->second.row.placeholder_id = r.message_id;
      store.save_turn(it->second.row, nullptr);  // before the worker removes the op's row
    }
    if (--it->second.open_ops > 0) return;
    auto row = std::move(it->second.row);
    cut_turns.erase(it);
    if (row.terminal)
      continue_plan(row);
    else
      notify_cut(row);
  }

  // Declaration order is destruction order in reverse: agents, drivers and the router cancel
  // their timers through `sched`, so it is declared before them and outlives them.
  ~impl() override { *alive = false; }

  agent_health_fn on_health;
  kit::io_runtime& rt;
  state::store& store;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  std::chrono::milliseconds keepalive;
  // Outlives the drivers (declared before `draining`); its pending work never completes after it.
  std::unique_ptr<media::outbound_materializer> materializer;
  metrics::registry own_metrics;  // used when the host passed none
  metrics::registry& counts;
  turn_meter meter;  // the router's observer: declared before it, so it outlives it
  strand_scheduler sched;
  // Declared before the router: the outputs it wraps end inside the router.
  typing_keeper typing{sched,
                       [this](const std::string& channel, messages::typing_request req,
                              typing_keeper::done_fn done) {
                         send_typing(channel, std::move(req), std::move(done));
                       },
                       {}};
  turns::router router;
  std::map<std::string, channel_entry> channels;
  std::vector<front_stage> front;  // the inbound path's front stages, in order
  std::map<render::platform_driver*, std::shared_ptr<render::platform_driver>> draining;
  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter{0.0, 1.0};
  channel_sink sink{*this};
  // Declared after `sched` and `channels` (it uses both) and destroyed before them.
  std::unique_ptr<outbound::worker> worker =
      std::make_unique<outbound::worker>(worker_env(), store.outbound(), sink);
  std::map<std::string, cut_turn> cut_turns;  // recovery: waiting for their resumed ops
  turns::agent_table agents{[this](const std::string& id) { return router.has_turn(id); }};
  bool sweeping = false;  // a sweep of retired agents is scheduled
  std::shared_ptr<identity::provider_registry> identities;  // providers of identity bindings
  std::map<std::string, std::string> channel_identity;      // channel id → provider
  std::map<std::string, config::commands_config> channel_commands;  // channel id → commands
  std::shared_ptr<media::service> media;  // inbound attachments (null: not offered)
  std::string media_base_url;             // "http://127.0.0.1:8780"
  // The turns of `callback` agents waiting for POST /v1/turns/<turn>/responses (thread-safe).
  std::shared_ptr<agents::turn_callbacks> callbacks = agents::make_local_turn_callbacks();
  uint64_t id_prefix = 0;
  uint64_t seq = 0;
  bool stopping = false;
  // Channel messages handed to on_inbound whose task has not yet run on the strand (any thread).
  std::atomic<std::size_t> handing_over{0};
};

}  // namespace patchbay::turns
