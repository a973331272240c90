#include "app/channel_set.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "app/channel_metrics.hpp"
#include "patchbay/common/log_subject.hpp"

namespace patchbay::app {
using namespace std::chrono;

namespace {
int64_t now_ms() { return plugin::system_clock_source().now_unix_ms(); }
}  // namespace

channel_set::channel_set(channel_set_deps deps, std::vector<std::string> plugin_dirs,
                         milliseconds start_timeout)
    : deps_(std::move(deps)), loader_(std::move(plugin_dirs)), start_timeout_(start_timeout) {}

void channel_set::on_status(const std::string& id, const pb_status& st) {
  std::string reason(plugin::to_view(st.reason).substr(0, 1024));
  const auto state = plugin::from_pb_state(st.state);
  bool changed = false;
  deps_.board.update(id, [&](plugin::channel_status& c) {
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
    spdlog::log(level, "{}reconnecting (attempt {}, next try in {} ms){}{}",
                common::log_tag({.channel = id}), st.attempt,
                std::max<int64_t>(0, st.next_attempt_unix_ms - now_ms()),
                reason.empty() ? "" : ": ", reason);
  else
    spdlog::log(level, "{}{}{}{}", common::log_tag({.channel = id}), plugin::to_string(state),
                reason.empty() ? "" : ": ", reason);
}

void channel_set::mark_attempt(const std::string& id, plugin::channel_state state,
                               const std::string& reason) {
  deps_.board.update(id, [&](plugin::channel_status& c) {
    c.state = state;
    c.reason = reason;
    c.start_attempted = true;
    c.since_unix_ms = now_ms();
  });
}

bool channel_set::start(const config::channel_config& ch) {
  auto& board = deps_.board;
  auto mark = [&](plugin::channel_state state, const std::string& reason) {
    mark_attempt(ch.id, state, reason);
  };
  auto out = loader_.load(ch.plugin);
  if (!out.module) {
    spdlog::error("{}plugin refused: {}", common::log_tag({.channel = ch.id}),
                  out.error->to_string());
    mark(plugin::channel_state::refused, out.error->reason);
    return false;
  }
  board.update(ch.id, [&](plugin::channel_status& c) {
    c.plugin = out.module->name;
    c.plugin_version = out.module->version;
    c.platform = out.module->platform;
  });
  if (deps_.leases != nullptr && plugin::single_consumer(*out.module)) {
    leased_[ch.id] = ch;
    mark(plugin::channel_state::standby, "waiting for its lease (one replica runs it at a time)");
    want_leases();
    return true;
  }
  return start_instance(ch, out.module, std::nullopt);
}

void channel_set::want_leases() {
  std::vector<std::string> ids;
  for (const auto& [id, ch] : leased_) ids.push_back(id);
  deps_.leases->want(std::move(ids));
}

void channel_set::on_lease(const lease_change& change) {
  const std::string& id = change.channel;
  auto it = leased_.find(id);
  if (it == leased_.end()) return;  // no longer configured or wanted here
  settled_.insert(id);
  auto standby = [&](const std::string& why) {
    deps_.board.update(id, [&](plugin::channel_status& c) {
      c.started = false;
      c.state = plugin::channel_state::standby;
      c.reason = why;
      c.since_unix_ms = now_ms();
    });
  };
  auto tok = fence_tokens_.find(id);
  if (!change.held) {
    if (tok != fence_tokens_.end() && (change.token == 0 || change.token == tok->second)) {
      spdlog::warn("{}stopping: {}", common::log_tag({.channel = id}), change.reason);
      stop_running(id, start_timeout_);
    }
    if (!running(id)) standby(change.reason);
    return;
  }
  if (tok != fence_tokens_.end() && tok->second == change.token) return;  // runs with it already
  if (tok != fence_tokens_.end()) stop_running(id, start_timeout_);
  const config::channel_config ch = it->second;
  // The previous holder wrote the instance's state (its poll cursor): read it afresh.
  try {
    deps_.store.kv_reload(id);
  } catch (const std::exception& e) {
    spdlog::error("{}cannot take the channel over: {}", common::log_tag({.channel = id}), e.what());
    standby(std::string("cannot read its state: ") + e.what());
    return;
  }
  auto out = loader_.load(ch.plugin);
  if (!out.module) return;  // refused since: left standby (the reload that changed it reports)
  fence_tokens_[id] = change.token;
  if (!start_instance(ch, out.module,
                      state::fence{state::channel_lease(id), change.token, deps_.self}))
    fence_tokens_.erase(id);
}

bool channel_set::start_instance(const config::channel_config& ch,
                                 const std::shared_ptr<const plugin::plugin_module>& module,
                                 std::optional<state::fence> fence) {
  auto& board = deps_.board;
  auto mark = [&](plugin::channel_state state, const std::string& reason) {
    mark_attempt(ch.id, state, reason);
  };
  mark(plugin::channel_state::starting, "");
  plugin::instance_events ev;
  const std::string& id = ch.id;
  ev.status = [this, id](const pb_status& st) { on_status(id, st); };
  ev.inbound_outcome = [&board, id](pb_inbound_disposition d) { board.record_inbound(id, d); };
  // Health evidence: liveness proofs and every outbound result (channel_status.hpp).
  ev.liveness = [&board, id](const pb_liveness& proof) { board.record_liveness(id, proof); };
  ev.op_outcome = [&board, id](std::string_view what, const messages::op_result& r) {
    board.record_op(id, what, r);
  };
  ev.inbound = [id, &turns = deps_.turns](const messages::inbound_message& m) {
    spdlog::debug("{}inbound message {} in conversation {} stored",
                  common::log_tag({.channel = id}), m.event_id, m.conversation_id);
    turns.on_inbound(id, m);
  };
  if (fence && deps_.post_lease_change)
    ev.lease_lost = [post = deps_.post_lease_change, id,
                     token = fence->token](const std::string& why) {
      post({id, false, token, why});
    };
  if (deps_.metrics) ev = counted_events(std::move(ev), deps_.metrics->channel(ch.id));
  auto inst = plugin::channel_instance::make(deps_.rt, module, ch.id, ch.config_json, deps_.store,
                                             std::move(ev));
  inst->set_admission(deps_.admission);
  if (fence) inst->set_fence(*fence);
  deps_.turns.add_channel(inst, ch.agent,
                          ch.typing);  // before start: a plugin may emit while starting
  deps_.directory.add(ch.id, inst);    // hooks answer 503 until it runs
  board.set_in_flight_probe(ch.id, [w = std::weak_ptr(inst)] {
    plugin::status_board::in_flight_reading r;
    if (auto i = w.lock()) {
      const auto f = i->in_flight();
      r = {f.count, f.oldest_age_ms};
    }
    return r;
  });
  // The promise is shared: a plugin that answers after we gave up must not touch freed memory.
  auto p = std::make_shared<std::promise<std::string>>();
  auto f = p->get_future();
  inst->start([p](const std::string& err) { p->set_value(err); });
  if (f.wait_for(start_timeout_) != std::future_status::ready) {
    spdlog::error("{}plugin {} did not return from create/start within {} ms",
                  common::log_tag({.channel = ch.id}), module->name, start_timeout_.count());
    mark(plugin::channel_state::failed, "start timed out");
    started_.push_back(inst);  // still owned, shut down with the rest
    return true;
  }
  if (std::string err = f.get(); !err.empty()) {
    deps_.turns.remove_channel(ch.id);
    spdlog::error("{}{} (plugin {} at {})", common::log_tag({.channel = ch.id}), err, module->name,
                  module->path);
    mark(plugin::channel_state::failed, err);
    return false;
  }
  board.update(ch.id, [](plugin::channel_status& c) {
    c.started = true;
    if (c.state == plugin::channel_state::starting || c.state == plugin::channel_state::pending)
      c.state = plugin::channel_state::starting;
  });
  spdlog::info("{}started (plugin {} {} at {})", common::log_tag({.channel = ch.id}), module->name,
               module->version, module->path);
  started_.push_back(std::move(inst));
  return true;
}

void channel_set::stop_one(plugin::channel_instance& inst, milliseconds left) {
  left = std::max(left, milliseconds(100));
  auto p = std::make_shared<std::promise<void>>();
  auto f = p->get_future();
  inst.shutdown(left, [p] { p->set_value(); });
  // The instance enforces `left` on the plugin; the extra second covers draining callbacks.
  if (f.wait_for(left + seconds(1)) != std::future_status::ready) {
    spdlog::error("{}did not shut down in time; continuing",
                  common::log_tag({.channel = inst.id()}));
    return;
  }
  deps_.board.update(inst.id(), [&](plugin::channel_status& c) {
    c.started = false;
    c.state = plugin::channel_state::stopped;
    c.since_unix_ms = now_ms();
  });
  spdlog::info("{}shut down", common::log_tag({.channel = inst.id()}));
}

bool channel_set::running(const std::string& id) const {
  return std::any_of(started_.begin(), started_.end(),
                     [&](const auto& inst) { return inst->id() == id; });
}

void channel_set::stop(const std::string& id, milliseconds budget) {
  settled_.erase(id);
  if (leased_.erase(id) != 0) want_leases();
  stop_running(id, budget);
}

void channel_set::stop_running(const std::string& id, milliseconds budget) {
  fence_tokens_.erase(id);
  auto it = std::find_if(started_.begin(), started_.end(),
                         [&](const auto& inst) { return inst->id() == id; });
  if (it == started_.end()) return;
  auto inst = *it;
  started_.erase(it);
  deps_.directory.add(id, {});  // still configured: hooks answer 503 until it runs again
  stop_one(*inst, budget);
  deps_.turns.remove_channel(id);
}

void channel_set::stop_all(milliseconds budget) {
  auto deadline = steady_clock::now() + budget;
  for (auto it = started_.rbegin(); it != started_.rend(); ++it)
    stop_one(**it, duration_cast<milliseconds>(deadline - steady_clock::now()));
}

}  // namespace patchbay::app
