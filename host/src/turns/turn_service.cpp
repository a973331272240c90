#include "turns/turn_service.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <cstdio>
#include <future>
#include <map>
#include <random>

#include "agents/agent.hpp"
#include "agents/host_answer_agent.hpp"
#include "api/proactive_send.hpp"
#include "config/config.hpp"
#include "identity/providers.hpp"
#include "metrics/registry.hpp"
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

namespace patchbay::turns {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// Turn ids: unique across restarts without coordination (random 64-bit prefix per process).
std::string make_turn_id(uint64_t prefix, uint64_t seq) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "api-%016llx-%llu", static_cast<unsigned long long>(prefix),
                static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace

struct turn_service::impl final : turns::agent_starter,
                                  std::enable_shared_from_this<turn_service::impl> {
  static turns::router_limits limits_from(const config::config& cfg) {
    turns::router_limits l;
    l.idle_timeout = cfg.host.turn_timeout;
    return l;
  }

  impl(kit::io_runtime& rt, const config::config& cfg, state::store& store,
       agent_health_fn on_health, std::shared_ptr<identity::provider_registry> shared_identities,
       metrics::registry* shared_metrics)
      : on_health(std::move(on_health)),
        rt(rt),
        store(store),
        keepalive(cfg.host.sse_keepalive),
        counts(shared_metrics != nullptr ? *shared_metrics : own_metrics),
        meter(counts),
        sched(rt, rt.make_strand()),
        router(sched, *this, limits_from(cfg), &meter),
        identities(shared_identities
                       ? std::move(shared_identities)
                       : std::make_shared<identity::provider_registry>(rt, cfg, store)) {
    for (const auto& c : cfg.channels)
      if (!c.identity.empty()) channel_identity[c.id] = c.identity;
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
    return env;
  }

  // turns::agent_starter
  bool start(const turns::turn_spec& t, std::string& error_text) override {
    return agents.start(t.agent, t.turn_id, t.request_json, error_text);
  }
  void cancel(const std::string& turn_id) override { agents.cancel(turn_id); }

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
  };

  // A platform driver that stays until its renderer has delivered everything.
  std::shared_ptr<render::platform_driver> make_driver(const channel_entry& ch,
                                                       render::turn_target target,
                                                       render::effective_caps caps) {
    auto d = std::make_shared<render::platform_driver>(
        ch.instance, std::move(target), caps, sched, store,
        [this](render::platform_driver* p) { draining.erase(p); }, alive);
    draining.emplace(d.get(), d);
    return d;
  }

  // Declaration order is destruction order in reverse: agents, drivers and the router cancel
  // their timers through `sched`, so it is declared before them and outlives them.
  ~impl() override { *alive = false; }

  agent_health_fn on_health;
  kit::io_runtime& rt;
  state::store& store;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  std::chrono::milliseconds keepalive;
  metrics::registry own_metrics;  // used when the host passed none
  metrics::registry& counts;
  turn_meter meter;  // the router's observer: declared before it, so it outlives it
  strand_scheduler sched;
  turns::router router;
  std::map<std::string, channel_entry> channels;
  std::vector<front_stage> front;  // the inbound path's front stages, in order
  std::map<render::platform_driver*, std::shared_ptr<render::platform_driver>> draining;
  turns::agent_table agents{[this](const std::string& id) { return router.has_turn(id); }};
  bool sweeping = false;  // a sweep of retired agents is scheduled
  std::shared_ptr<identity::provider_registry> identities;  // providers of identity bindings
  std::map<std::string, std::string> channel_identity;      // channel id → provider
  uint64_t id_prefix = 0;
  uint64_t seq = 0;
  bool stopping = false;
};

turn_service::turn_service(kit::io_runtime& rt, const config::config& cfg, state::store& store,
                           agent_health_fn on_agent_health,
                           std::shared_ptr<identity::provider_registry> identities,
                           metrics::registry* counts)
    : impl_(std::make_shared<impl>(rt, cfg, store, std::move(on_agent_health),
                                   std::move(identities), counts)) {}

void turn_service::add_channel(const std::shared_ptr<plugin::channel_instance>& channel,
                               const std::string& agent) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), channel, agent] {
    if (auto self = w.lock()) self->channels[channel->id()] = impl::channel_entry{channel, agent};
  });
}

void turn_service::remove_channel(const std::string& channel_id) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), channel_id] {
    if (auto self = w.lock()) self->channels.erase(channel_id);
  });
}

void turn_service::on_inbound(const std::string& channel_id, const messages::inbound_message& m) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), channel_id, m] {
    auto self = w.lock();
    if (!self) return;
    auto ch = self->channels.find(channel_id);
    if (ch == self->channels.end() || self->stopping) {
      spdlog::warn("{}inbound {} arrived while the channel takes no turns; not answered",
                   common::log_tag({.channel = channel_id}), m.event_id);
      return;
    }
    std::optional<front_verdict> verdict;
    const std::string& platform = ch->second.instance->module().platform;
    for (const auto& stage : self->front)
      if ((verdict = stage(front_input{channel_id, platform, m}))) break;
    if (verdict && verdict->what == front_verdict::kind::drop) {
      spdlog::debug("{}inbound {} not answered: {}", common::log_tag({.channel = channel_id}),
                    m.event_id, verdict->reason);
      return;
    }
    api::remember_route(self->store, m.sender_id, {channel_id, m.conversation_id, m.thread_id});
    std::string id = channel_id + ":" + m.event_id;
    render::turn_target target{id,           m.conversation_id, m.thread_id,
                               m.message_id, m.reply_context,   m.sender_id};
    auto caps = render::narrow(ch->second.instance->module().caps, m.capabilities);
    auto driver = self->make_driver(ch->second, target, caps);
    driver->persist(driver->renderer().record());  // unfinished from now on, until terminal
    std::string thread = channel_id + "\x1f" + m.conversation_id + "\x1f" + m.thread_id;
    // The host's own answers (commands, notices) run beside the conversation's turns, never
    // queued behind a running one (a /stop must not wait for the turn it stops).
    if (verdict && verdict->what == front_verdict::kind::host_answer) thread += "\x1fhost";
    std::string agent = ch->second.agent;
    if (verdict && verdict->what == front_verdict::kind::agent && !verdict->agent.empty())
      agent = verdict->agent;
    if (verdict && verdict->what == front_verdict::kind::host_answer)
      agent = agents::host_answer_agent_name;
    else if (self->channel_identity.count(channel_id) &&
             identity::parse_command(m.text) != identity::command::none)
      agent = identity::command_agent_name;  // answered by the host, not the channel's agent
    json::object request{
        {"turn", id},
        {"thread", thread},
        {"channel", channel_id},
        {"conversation", m.conversation_id},
        {"conversation_kind", identity::conversation_kind_name(m.conversation_kind)},
        {"sender", m.sender_id},
        {"sender_name", m.sender_name},
        // the message this turn answers (its
        // reply context; the opaque reply
        // token itself stays in the host)
        {"message", m.message_id},
        {"thread_id", m.thread_id},
        {"text", m.text}};
    if (verdict && verdict->what == front_verdict::kind::host_answer)
      request[agents::host_answer_key] = verdict->text;
    turns::turn_spec spec{id, thread, agent, json::serialize(request), driver->make_output()};
    if (self->router.admit(std::move(spec)) == turns::admission::duplicate_turn)
      self->draining.erase(driver.get());  // already answered or answering: nothing to render
  });
}

void turn_service::add_front_stage(front_stage stage) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), stage = std::move(stage)]() mutable {
    if (auto self = w.lock()) self->front.push_back(std::move(stage));
  });
}

turns::scheduler& turn_service::front_scheduler() { return impl_->sched; }

std::vector<state::turn_row> turn_service::read_unfinished() {
  try {
    return impl_->store.unfinished_turns();
  } catch (const std::exception& e) {
    spdlog::error("cannot read unfinished turns: {}", e.what());
    return {};
  }
}

void turn_service::recover(std::vector<state::turn_row> rows) {
  if (rows.empty()) return;
  spdlog::warn("{} turn(s) were interrupted by a restart; telling their users", rows.size());
  impl_->sched.strand().post([w = std::weak_ptr(impl_), rows = std::move(rows)] {
    auto self = w.lock();
    if (!self) return;
    for (const auto& row : rows) {
      auto ch = self->channels.find(row.instance);
      if (ch == self->channels.end()) {
        spdlog::warn("{}its channel {} is not running; closing it without a notice",
                     common::log_tag({.turn = row.turn_id}), row.instance);
        state::turn_row done = row;
        done.terminal = true;
        done.outcome = "error";
        self->store.save_turn(done, nullptr);
        continue;
      }
      render::turn_target target{
          row.turn_id, row.conversation_id, row.thread_id, row.reply_to_message_id, "", ""};
      auto caps = render::narrow(ch->second.instance->module().caps, std::nullopt);
      auto driver = self->make_driver(ch->second, target, caps);
      render::turn_record rec;
      rec.placeholder_id = row.placeholder_id;
      rec.flushed_text = row.flushed_text;
      rec.reply_token_spent = row.reply_token_spent;
      driver->renderer().resume(rec);
      driver->renderer().on_error(
          "The gateway restarted while answering this message; please send it again.");
    }
  });
}

void turn_service::reconfigure(const config::config& cfg) {
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  impl_->sched.strand().post([w = std::weak_ptr(impl_), cfg, done] {
    auto self = w.lock();
    if (!self) return done->set_value();
    if (!self->stopping) {
      self->agents.configure(cfg.agents, self->agent_factory());
      self->channel_identity.clear();
      for (const auto& c : cfg.channels)
        if (!c.identity.empty()) self->channel_identity[c.id] = c.identity;
      self->sweep_retired();
    }
    done->set_value();
  });
  f.wait_for(5s);
}

turn_service::~turn_service() = default;

turns::router_load turn_service::router_load() const { return impl_->router.load(); }

std::string turn_service::check_agent(const std::string& name) const {
  if (name.empty() || impl_->agents.has(name)) return {};
  return "unknown agent '" + name + "'";
}

void turn_service::start_chat(chat_request req, const std::shared_ptr<kit::http_exchange>& ex) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), req = std::move(req), ex]() mutable {
    auto self = w.lock();
    if (!self) return;  // the exchange, dropped unanswered, answers 500
    if (self->stopping) {
      kit::http_response r;
      r.status = 503;
      r.body = R"({"error":{"code":"shutting_down","message":"the host is stopping"}})";
      ex->respond(std::move(r));
      return;
    }
    std::string id = make_turn_id(self->id_prefix, ++self->seq);
    std::string agent = req.agent.empty() ? self->agents.default_agent() : req.agent;
    std::string thread = "api:" + (req.thread.empty() ? id : req.thread);
    auto stream = ex->start_stream(200, "text/event-stream",
                                   {{"Cache-Control", "no-cache"}, {"X-Patchbay-Turn", id}});
    std::weak_ptr<impl> weak = self;
    stream->on_peer_gone([weak, id] {
      if (auto s = weak.lock())
        s->sched.strand().post([weak, id] {
          auto t = weak.lock();
          if (!t || !t->router.has_turn(id)) return;
          spdlog::info("{}client went away; ending the turn", common::log_tag({.turn = id}));
          t->cancel(id);
          t->router.fail(id, "client disconnected");
        });
    });
    turns::turn_spec spec{
        id, thread, agent,
        json::serialize(
            json::object{{"turn", id}, {"thread", thread}, {"text", req.text}, {"channel", "api"}}),
        std::make_unique<render::sse_output>(stream, self->sched, self->keepalive,
                                             &self->counts.sse_clients())};
    auto adm = self->router.admit(std::move(spec));
    if (adm != turns::admission::accepted)  // the client got an error event saying why
      spdlog::warn("{}refused ({})", common::log_tag({.turn = id}),
                   adm == turns::admission::thread_full ? "thread busy" : "router full");
  });
}

void turn_service::shutdown() {
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  impl_->sched.strand().post([w = std::weak_ptr(impl_), done] {
    auto self = w.lock();
    if (!self) return done->set_value();
    self->stopping = true;
    self->agents.stop_all();  // deliberate: backends notify nothing
    self->router.fail_all("The gateway is shutting down; please ask again in a moment.");
    done->set_value();
  });
  f.wait_for(5s);
}

}  // namespace patchbay::turns
