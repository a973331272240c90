#include "turns/router.hpp"

#include <spdlog/spdlog.h>

#include <vector>
#include "patchbay/common/log_subject.hpp"

namespace patchbay::turns {

namespace {
// How many finished turn ids are remembered to recognise late duplicates of their terminal.
constexpr std::size_t finished_memory = 4096;
}  // namespace

router::router(scheduler& sched, agent_starter& agents, router_limits limits,
               turn_observer* observer)
    : sched_(sched), agents_(agents), limits_(std::move(limits)), observer_(observer) {}

void router::publish_load() {
  queued_.store(turns_.size() - running_count_, std::memory_order_relaxed);
  running_.store(running_count_, std::memory_order_relaxed);
  rendering_count_.store(rendering_.size(), std::memory_order_relaxed);
}

router::~router() {
  for (auto& [id, t] : turns_) {
    if (t.timer) sched_.cancel(t.timer);
    if (t.total_timer) sched_.cancel(t.total_timer);
  }
  if (agent_timer_) sched_.cancel(agent_timer_);
}

admission router::admit(turn_spec turn) {
  if (turns_.count(turn.turn_id) || finished_recently_.count(turn.turn_id)) {
    ++stats_.refused;
    return admission::duplicate_turn;
  }
  if (turns_.size() >= limits_.max_turns) {
    ++stats_.refused;
    if (observer_) observer_->refused(turn);
    if (turn.output) turn.output->error(limits_.busy_text);
    return admission::router_full;
  }
  auto qit = threads_.find(turn.thread_key);
  // The running turn does not count against the thread's queue.
  if (qit != threads_.end() && qit->second.size() > limits_.max_queued_per_thread) {
    ++stats_.refused;
    if (observer_) observer_->refused(turn);
    if (turn.output) turn.output->error(limits_.busy_text);
    return admission::thread_full;
  }
  auto& queue = threads_[turn.thread_key];
  std::string id = turn.turn_id, key = turn.thread_key;
  queue.push_back(id);
  auto& admitted = turns_.emplace(id, turn_state{std::move(turn)}).first->second;
  ++stats_.admitted;
  if (observer_) observer_->admitted(admitted.spec);
  publish_load();
  if (queue.size() == 1) start_next(key);
  return admission::accepted;
}

void router::start_next(const std::string& thread_key) {
  auto q = threads_.find(thread_key);
  while (q != threads_.end() && !q->second.empty()) {
    auto it = turns_.find(q->second.front());
    if (it == turns_.end()) return;  // the head ended and is still being rendered
    turn_state& t = it->second;
    if (t.running || ending_all_) return;
    if (!slot_free() || (agent_full_ && !starting_waiting_)) {
      waiting_.push_back(thread_key);
      return;
    }
    if (agents_.at_capacity(t.spec)) {
      waiting_.push_front(thread_key);  // first in line once the agent has room
      hold_for_agent();
      return;
    }
    t.running = true;
    ++running_count_;
    publish_load();
    std::string error_text;
    const turn_deadlines d = agents_.deadlines(t.spec);
    t.idle = d.idle.count() > 0 ? d.idle : limits_.idle_timeout;
    arm_idle(t);
    if (d.total.count() > 0) arm_total(t, d.total);
    if (agents_.start(t.spec, error_text)) return;
    spdlog::warn("{}agent {} could not start it: {}", common::log_tag({.turn = t.spec.turn_id}),
                 t.spec.agent, error_text);
    // finish() pops this turn and starts the next one of the thread.
    finish(t.spec.turn_id, turn_end::start_failed,
           error_text.empty() ? "The agent could not be started." : error_text);
    return;
  }
}

void router::arm_idle(turn_state& t) {
  if (t.timer) sched_.cancel(t.timer);
  std::string id = t.spec.turn_id;
  const auto idle = t.idle.count() > 0 ? t.idle : limits_.idle_timeout;
  t.timer = sched_.schedule(idle, [this, id, idle] {
    auto it = turns_.find(id);
    if (it == turns_.end()) return;
    it->second.timer = 0;
    ++stats_.timed_out;
    spdlog::warn("{}no answer from agent {} for {} ms; ending it with an error",
                 common::log_tag({.turn = id}), it->second.spec.agent, idle.count());
    agents_.cancel(id);
    finish(id, turn_end::timed_out, limits_.timeout_text);
  });
}

void router::arm_total(turn_state& t, std::chrono::milliseconds total) {
  std::string id = t.spec.turn_id;
  t.total_timer = sched_.schedule(total, [this, id, total] {
    auto it = turns_.find(id);
    if (it == turns_.end()) return;
    it->second.total_timer = 0;
    ++stats_.timed_out;
    spdlog::warn("{}agent {} did not finish within {} ms; ending it with an error",
                 common::log_tag({.turn = id}), it->second.spec.agent, total.count());
    agents_.cancel(id);
    finish(id, turn_end::timed_out, limits_.timeout_text);
  });
}

std::string router::deliver(std::string_view payload) {
  ++stats_.payloads;
  parse_result p = parse_thread_response(payload);
  if (!p.value) {
    ++stats_.rejected_payloads;
    spdlog::warn("rejected agent payload: {}", p.error);
    return p.error;
  }
  thread_response& r = *p.value;
  auto it = turns_.find(r.turn);
  if (it == turns_.end() || !it->second.running) {
    if (finished_recently_.count(r.turn)) {
      if (r.terminal()) ++stats_.duplicate_terminal;
      spdlog::debug("{}payload after the turn ended ignored", common::log_tag({.turn = r.turn}));
      return "turn already ended";
    }
    ++stats_.unknown_turn;
    spdlog::warn("rejected agent payload: unknown turn '{}'", r.turn);
    return "unknown turn";
  }
  turn_state& t = it->second;
  arm_idle(t);
  turn_output& out = *t.spec.output;
  const bool has_output = (r.delta && !r.delta->empty()) || r.content || r.attachment;
  if (has_output && !t.output_seen) {
    t.output_seen = true;
    if (observer_) observer_->first_output(t.spec);
  }
  if (r.delta && !r.delta->empty()) out.delta(*r.delta);
  if (r.content) out.content(*r.content, r.ephemeral);
  if (r.attachment) out.attachment(*r.attachment);
  if (r.error) {
    finish(r.turn, turn_end::agent_error, *r.error);
  } else if (r.done) {
    finish(r.turn, turn_end::completed, {});
  }
  return {};
}

void router::fail(const std::string& turn_id, std::string_view user_text) {
  auto it = turns_.find(turn_id);
  if (it == turns_.end()) {
    if (finished_recently_.count(turn_id)) ++stats_.duplicate_terminal;
    return;
  }
  finish(turn_id, turn_end::failed, user_text);
}

std::vector<const turn_spec*> router::running_in(std::string_view base) const {
  std::vector<const turn_spec*> out;
  for (auto it = threads_.lower_bound(std::string(base));
       it != threads_.end() && it->first.compare(0, base.size(), base) == 0; ++it) {
    const std::string& key = it->first;
    if (key.size() != base.size() && key[base.size()] != '\x1f') continue;
    if (it->second.empty()) continue;
    auto t = turns_.find(it->second.front());
    if (t != turns_.end() && t->second.running) out.push_back(&t->second.spec);
  }
  return out;
}

bool router::stop(const std::string& turn_id, std::string_view user_text) {
  auto it = turns_.find(turn_id);
  if (it == turns_.end() || !it->second.running) return false;
  agents_.cancel(turn_id);
  finish(turn_id, turn_end::failed, user_text);
  return true;
}

void router::fail_all(std::string_view user_text) {
  ending_all_ = true;  // a slot freed meanwhile starts nothing: every turn ends here
  waiting_.clear();
  std::vector<std::string> ids;
  for (const auto& [id, t] : turns_) ids.push_back(id);
  for (const auto& id : ids) {
    agents_.cancel(id);
    finish(id, turn_end::failed, user_text);
  }
  ending_all_ = false;
}

// turn_id by value on purpose (NOLINT): callers pass references into the turn erased below.
void router::finish(std::string turn_id,  // NOLINT(performance-unnecessary-value-param)
                    turn_end how, std::string_view error_text) {
  auto it = turns_.find(turn_id);
  if (it == turns_.end()) return;
  turn_spec spec = std::move(it->second.spec);
  if (it->second.timer) sched_.cancel(it->second.timer);
  if (it->second.total_timer) sched_.cancel(it->second.total_timer);
  const bool freed = it->second.running;
  if (freed) --running_count_;
  turns_.erase(it);
  publish_load();
  if (observer_) observer_->ended(spec, how);
  finished_recently_.insert(turn_id);
  finished_order_.push_back(turn_id);
  if (finished_order_.size() > finished_memory) {
    finished_recently_.erase(finished_order_.front());
    finished_order_.pop_front();
  }
  if (how == turn_end::completed) {
    ++stats_.completed;
    spec.output->complete();
  } else {
    ++stats_.errored;
    spec.output->error(error_text);
  }
  if (freed) {
    agent_full_ = false;  // its agent may have room again
    start_waiting();
  }
  if (!spec.output->rendered()) {
    // Keep the thread's turn order on the platform: the next turn waits for this delivery.
    turn_output* out = spec.output.get();
    rendering_[turn_id] = std::move(spec.output);
    publish_load();
    out->when_rendered([this, key = spec.thread_key, turn_id] {
      // The output owns this callback: copy what we need, release the output last.
      // Deliberate copies: `key` and `turn_id` die with this callback, i.e. with `keep`.
      std::string k = key,  // NOLINT(performance-unnecessary-copy-initialization): see above
          id = turn_id;
      auto keep = rendering_.extract(id);
      publish_load();
      advance(k, id);
    });
    return;
  }
  advance(spec.thread_key, turn_id);
}

void router::hold_for_agent() {
  agent_full_ = true;
  if (agent_timer_) return;
  agent_timer_ = sched_.schedule(limits_.agent_retry, [this] {
    agent_timer_ = 0;
    agent_full_ = false;
    start_waiting();
  });
}

void router::start_waiting() {
  if (starting_waiting_) return;  // the loop below on the stack goes on with the next one
  starting_waiting_ = true;
  while (slot_free() && !agent_full_ && !waiting_.empty()) {
    std::string key = std::move(waiting_.front());
    waiting_.pop_front();
    start_next(key);
  }
  starting_waiting_ = false;
}

void router::advance(const std::string& thread_key, const std::string& turn_id) {
  auto q = threads_.find(thread_key);
  if (q == threads_.end()) return;
  auto& ids = q->second;
  for (auto i = ids.begin(); i != ids.end(); ++i)
    if (*i == turn_id) {
      ids.erase(i);
      break;
    }
  if (ids.empty())
    threads_.erase(q);
  else
    start_next(thread_key);
}

}  // namespace patchbay::turns
