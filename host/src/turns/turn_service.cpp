#include "turns/turn_service.hpp"

#include "turns/turn_service_impl.hpp"

namespace patchbay::turns {
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

turn_service::turn_service(kit::io_runtime& rt, const config::config& cfg, state::store& store,
                           agent_health_fn on_agent_health,
                           std::shared_ptr<identity::provider_registry> identities,
                           metrics::registry* counts)
    : impl_(std::make_shared<impl>(rt, cfg, store, std::move(on_agent_health),
                                   std::move(identities), counts)) {}

void turn_service::add_channel(const std::shared_ptr<plugin::channel_instance>& channel,
                               const std::string& agent, bool typing) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), channel, agent, typing] {
    if (auto self = w.lock())
      self->channels[channel->id()] = impl::channel_entry{channel, agent, typing};
  });
}

void turn_service::remove_channel(const std::string& channel_id) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), channel_id] {
    if (auto self = w.lock()) self->channels.erase(channel_id);
  });
}

void turn_service::on_inbound(const std::string& channel_id, const messages::inbound_message& m) {
  impl_->handing_over.fetch_add(1, std::memory_order_relaxed);
  impl_->sched.strand().post([w = std::weak_ptr(impl_), channel_id, m] {
    auto self = w.lock();
    if (!self) return;
    struct handed {
      impl& s;
      ~handed() { s.handing_over.fetch_sub(1, std::memory_order_relaxed); }
    } done{*self};
    auto ch = self->channels.find(channel_id);
    if (ch == self->channels.end() || self->stopping) {
      spdlog::warn("{}inbound {} arrived while the channel takes no turns; not answered",
                   common::log_tag({.channel = channel_id}), m.event_id);
      return;
    }
    self->start_turn(channel_id, ch->second, m, self->decide(channel_id, ch->second, m));
  });
}

void turn_service::add_front_stage(front_stage stage) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), stage = std::move(stage)]() mutable {
    if (auto self = w.lock()) self->front.push_back(std::move(stage));
  });
}

front_stage turn_service::commands_stage() {
  return [w = std::weak_ptr(impl_)](const front_input& in) -> std::optional<front_verdict> {
    auto self = w.lock();  // stages run on the service's strand
    if (!self) return std::nullopt;
    return self->commands_verdict(in);
  };
}
turns::scheduler& turn_service::front_scheduler() { return impl_->sched; }

void turn_service::set_media(std::shared_ptr<media::service> media, std::string base_url) {
  impl_->sched.strand().post(
      [w = std::weak_ptr(impl_), media = std::move(media), base_url = std::move(base_url)] {
        if (auto self = w.lock()) {
          self->media = media;
          self->media_base_url = base_url;
        }
      });
}

std::vector<state::turn_row> turn_service::read_unfinished() {
  // Spool files of attachments no queued op holds any more (a crash between spooling and queuing,
  // or a removal that did not reach the disk) go now, before anything new is spooled.
  std::set<std::string> keep;
  for (const auto& op : impl_->store.outbound().rows())
    if (!op.spool_path.empty()) keep.insert(op.spool_path);
  if (auto n = media::outbound_materializer::sweep(impl_->materializer->options().spool_dir, keep))
    spdlog::info("removed {} orphaned outbound attachment file(s)", n);
  try {
    return impl_->store.unfinished_turns();
  } catch (const std::exception& e) {
    spdlog::error("cannot read unfinished turns: {}", e.what());
    return {};
  }
}

void turn_service::recover(std::vector<state::turn_row> rows) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), rows = std::move(rows)] {
    auto self = w.lock();
    if (!self) return;
    // What each turn still has in the durable outbound queue (live, not dead; dead rows count as
    // shown: something was decided for the turn).
    std::map<std::string, int> open_ops;
    std::set<std::string> decided;
    for (const auto& op : self->store.outbound().rows()) {
      decided.insert(op.turn_id);
      if (op.state != state::outbound_state::dead) ++open_ops[op.turn_id];
    }
    // Resumed ops first: the notices' and the re-run turns' ops of a thread go after them. (Their
    // outcomes arrive later, on the strand, once `cut_turns` below is complete.)
    std::weak_ptr<impl> weak = self;
    self->worker->resume([weak](const state::outbound_row& op, const messages::op_result& r) {
      if (auto s = weak.lock()) s->on_recovered_op(op, r);
    });
    size_t cut = 0, continued = 0;
    std::vector<std::pair<std::string, messages::inbound_message>> reruns;
    for (const auto& row : rows) {
      auto ch = self->channels.find(row.instance);
      if (ch == self->channels.end()) {
        spdlog::warn("{}its channel {} is not running; closing it without a notice",
                     common::log_tag({.turn = row.turn_id}), row.instance);
        state::turn_row done = row;
        done.terminal = true;
        if (done.outcome.empty()) done.outcome = "error";
        done.pending_plan.clear();
        self->store.save_turn(done, nullptr);
        continue;
      }
      const int open = open_ops.count(row.turn_id) ? open_ops[row.turn_id] : 0;
      if (row.terminal) {
        // Its answer was decided: the rest of its plan goes out after the ops it had queued.
        ++continued;
        if (open > 0)
          self->cut_turns[row.turn_id] = impl::cut_turn{row, open};
        else
          self->continue_plan(row);
        continue;
      }
      bool shown = !row.placeholder_id.empty() || !row.flushed_text.empty() ||
                   row.reply_token_spent || decided.count(row.turn_id) != 0;
      if (!shown && !row.inbound_payload.empty()) {
        std::string err;
        auto m = messages::inbound_from_json(row.inbound_payload, &err);
        if (m) {
          reruns.emplace_back(row.instance, std::move(*m));
          continue;
        }
        spdlog::warn("turn {}: stored message unreadable ({}); sending a notice", row.turn_id, err);
      }
      ++cut;
      if (open > 0)
        self->cut_turns[row.turn_id] = impl::cut_turn{row, open};
      else
        self->notify_cut(row);
    }
    size_t resumed = 0;
    for (const auto& op : self->store.outbound().rows())
      if (op.state != state::outbound_state::dead) ++resumed;
    if (resumed + reruns.size() + cut + continued > 0)
      spdlog::warn(
          "after a restart: {} queued outbound op(s) resumed, {} turn(s) that had not started "
          "run again, {} turn(s) cut mid-way get a notice, {} finished turn(s) deliver the rest "
          "of their answer",
          resumed, reruns.size(), cut, continued);
    for (auto& [channel_id, m] : reruns) {
      auto ch = self->channels.find(channel_id);
      if (ch != self->channels.end())
        self->start_turn(channel_id, ch->second, m, self->decide(channel_id, ch->second, m));
    }
  });
}

void turn_service::queue_action(int64_t id, bool retry,
                                std::function<void(const std::string&)> done) {
  impl_->sched.strand().post([w = std::weak_ptr(impl_), id, retry, done = std::move(done)] {
    auto self = w.lock();
    if (!self) return done("the host is stopping");
    done(retry ? self->worker->retry(id) : self->worker->drop(id));
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
      self->read_channels(cfg);
      self->sweep_retired();
    }
    done->set_value();
  });
  f.wait_for(5s);
}

turn_service::~turn_service() = default;

std::size_t turn_service::turns_past_intake() const {
  const auto l = impl_->router.load();
  return impl_->handing_over.load(std::memory_order_relaxed) + l.queued + l.running + l.rendering;
}

turns::router_load turn_service::router_load() const { return impl_->router.load(); }

media::outbound_materializer& turn_service::materializer() { return *impl_->materializer; }

std::shared_ptr<agents::turn_callbacks> turn_service::callbacks() const { return impl_->callbacks; }

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
    self->callbacks->close();  // agents' late posts answer 503 from now on
    self->agents.stop_all();   // deliberate: backends notify nothing
    self->router.fail_all("The gateway is shutting down; please ask again in a moment.");
    done->set_value();
  });
  f.wait_for(5s);
}

}  // namespace patchbay::turns
