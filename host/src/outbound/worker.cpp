#include "outbound/worker.hpp"

#include <algorithm>
#include <cmath>

#include "patchbay/pb_types.h"

namespace patchbay::outbound {
using namespace std::chrono;
using state::outbound_row;
using state::outbound_state;

namespace {
std::string error_text(const messages::op_result& r) {
  return std::string(messages::error_class_name(r.code)) + ": " + r.message;
}
}  // namespace

worker::worker(worker_env env, state::outbound_queue& queue, op_sink& sink, worker_policy policy)
    : env_(std::move(env)), queue_(queue), sink_(sink), policy_(policy) {}

worker::~worker() {
  *alive_ = false;
  stop();
}

void worker::log(int level, const std::string& text) const {
  if (env_.log) env_.log(level, text);
}

void worker::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [key, l] : lanes_)
    for (auto& e : l.ops)
      if (e.timer) env_.sched->cancel(e.timer);
  lanes_.clear();
}

int64_t worker::submit(outbound_row row, const messages::outbound_op& op, op_done done,
                       const state::turn_row* also_save) {
  if (stopped_) {
    if (done) done(messages::op_result{PB_ERR_RETRYABLE, "the host is stopping", 0, {}});
    return 0;
  }
  if (queue_.live_count(row.instance) >= policy_.channel_cap) {
    log(3, "outbound queue of channel " + row.instance + " is full (" +
               std::to_string(policy_.channel_cap) + " ops); refusing a " +
               state::to_string(row.kind) + " of turn " + row.turn_id);
    if (done) done(messages::op_result{PB_ERR_RETRYABLE, "outbound queue full", 0, {}});
    return 0;
  }
  row.payload = messages::to_json(op);
  row.attempts = 0;
  row.next_attempt_unix_ms = 0;
  row.last_error.clear();
  if (row.created_unix_ms == 0 && env_.now_ms) row.created_unix_ms = env_.now_ms();
  std::string key = row.ordering_key;
  auto id_cell = std::make_shared<int64_t>(0);
  // The write completes on the store's writer thread: hop onto our context. The posted function
  // runs after this call returned, so the id is known by then.
  // `post` is copied: the worker may be gone when the store completes the write.
  auto on_durable = [this, post = env_.post, alive = std::weak_ptr<bool>(alive_), key,
                     id_cell](const std::string& err) {
    post([this, alive, key, id_cell, err] {
      auto a = alive.lock();
      if (!a || !*a || stopped_) return;
      auto l = lanes_.find(key);
      if (l == lanes_.end()) return;
      auto it = std::find_if(l->second.ops.begin(), l->second.ops.end(),
                             [&](const entry& e) { return e.id == *id_cell; });
      if (it == l->second.ops.end()) return;
      if (!err.empty()) {
        log(3, "outbound op " + std::to_string(*id_cell) + " not stored: " + err);
        queue_.remove(*id_cell, nullptr);
        op_done d = std::move(it->done);
        l->second.ops.erase(it);
        if (l->second.ops.empty()) lanes_.erase(l);
        if (d) d(messages::op_result{PB_ERR_RETRYABLE, "not stored: " + err, 0, {}});
        pump(key);
        return;
      }
      it->durable = true;
      pump(key);
    });
  };
  int64_t id = queue_.enqueue(std::move(row), std::move(on_durable), also_save);
  *id_cell = id;
  entry e;
  e.id = id;
  e.done = std::move(done);
  lanes_[key].ops.push_back(std::move(e));
  return id;
}

void worker::resume(recovered_fn on_done) {
  on_recovered_ = std::move(on_done);
  for (auto& row : queue_.rows()) {
    if (row.state == outbound_state::dead) continue;
    entry e;
    e.id = row.id;
    e.durable = true;
    e.done = [this, row](const messages::op_result& r) {
      if (on_recovered_) on_recovered_(row, r);
    };
    lanes_[row.ordering_key].ops.push_back(std::move(e));
  }
  std::vector<std::string> keys;
  keys.reserve(lanes_.size());
  for (auto& [k, l] : lanes_) keys.push_back(k);
  for (auto& k : keys) pump(k);
}

void worker::pump(const std::string& key) {
  if (stopped_) return;
  auto l = lanes_.find(key);
  if (l == lanes_.end()) return;
  if (l->second.ops.empty()) {
    lanes_.erase(l);
    return;
  }
  entry& e = l->second.ops.front();
  if (!e.durable || e.in_flight || e.timer) return;
  auto row = queue_.row(e.id);
  if (!row) {  // dropped meanwhile
    finish(key, messages::op_result{PB_ERR_REJECTED, "dropped by an operator", 0, {}});
    return;
  }
  if (!sink_.available(row->instance)) return wait(key, e, policy_.unavailable_wait);
  attempt(key, e, std::move(*row));
}

void worker::attempt(const std::string& key, entry& e, outbound_row row) {
  std::string error;
  auto op = messages::outbound_op_from_json(row.payload, &error);
  if (!op) {
    row.state = outbound_state::dead;
    row.last_error = "invalid_input: stored payload unreadable: " + error;
    queue_.update(row, nullptr);
    log(3, "outbound op " + std::to_string(row.id) + " is dead: " + row.last_error);
    return finish(key, messages::op_result{PB_ERR_INVALID_INPUT, row.last_error, 0, {}});
  }
  e.in_flight = true;
  row.state = outbound_state::in_flight;
  queue_.update(row, nullptr);
  auto done = [this, alive = std::weak_ptr<bool>(alive_), key,
               id = row.id](const messages::op_result& r) {
    auto a = alive.lock();
    if (a && *a && !stopped_) on_result(key, id, r);
  };
  if (op->is_edit)
    sink_.edit(row.instance, std::move(op->edit), std::move(done));
  else
    sink_.send(row.instance, std::move(op->send), std::move(done));
}

void worker::wait(const std::string& key, entry& e, milliseconds delay) {
  int64_t id = e.id;
  e.timer = env_.sched->schedule(delay, [this, key, id] {
    auto l = lanes_.find(key);
    if (l == lanes_.end() || l->second.ops.empty() || l->second.ops.front().id != id) return;
    l->second.ops.front().timer = 0;
    pump(key);
  });
}

void worker::finish(const std::string& key, const messages::op_result& r) {
  auto l = lanes_.find(key);
  if (l == lanes_.end() || l->second.ops.empty()) return;
  op_done d = std::move(l->second.ops.front().done);
  l->second.ops.pop_front();
  if (d) d(r);
  pump(key);
}

void worker::on_result(const std::string& key, int64_t id, const messages::op_result& r) {
  auto l = lanes_.find(key);
  if (l == lanes_.end() || l->second.ops.empty() || l->second.ops.front().id != id) return;
  entry& e = l->second.ops.front();
  e.in_flight = false;
  auto found = queue_.row(id);
  if (!found) return finish(key, r);  // dropped while in flight: the platform's answer stands
  outbound_row row = std::move(*found);
  if (r.ok()) {
    // The caller hears it first, then the row goes: what the caller records about the result
    // (a placeholder's message id) is written before the row's removal, in the writer's order.
    finish(key, r);
    queue_.remove(id, nullptr);
    return;
  }
  row.last_error = error_text(r);
  row.state = outbound_state::pending;
  if (r.code == PB_ERR_RATE_LIMITED || r.code == PB_ERR_RETRYABLE) drop_spent_token(row);
  if (r.code == PB_ERR_RATE_LIMITED) {
    auto delay = std::clamp(milliseconds(r.retry_after_ms), policy_.base, policy_.max_retry_after);
    row.next_attempt_unix_ms = env_.now_ms() + delay.count();
    queue_.update(row, nullptr);
    log(0, "outbound op " + std::to_string(id) + " rate limited; waiting " +
               std::to_string(delay.count()) + " ms");
    return wait(key, e, delay);
  }
  if (r.code == PB_ERR_TOKEN_USED) {
    std::string error;
    auto op = messages::outbound_op_from_json(row.payload, &error);
    bool had_token =
        op && (op->is_edit ? !op->edit.reply_context.empty() : !op->send.reply_context.empty());
    if (had_token) {
      (op->is_edit ? op->edit.reply_context : op->send.reply_context).clear();
      row.payload = messages::to_json(*op);
      queue_.update(row, nullptr);
      log(1, "outbound op " + std::to_string(id) + ": reply token used; sending without it");
      return pump(key);
    }
  }
  if (r.code == PB_ERR_RETRYABLE) {
    ++row.attempts;
    if (row.attempts < policy_.max_attempts) {
      double exp = std::min<double>(
          static_cast<double>(policy_.base.count()) * std::pow(2.0, row.attempts - 1),
          static_cast<double>(policy_.cap.count()));
      auto delay = milliseconds(static_cast<int64_t>(exp * (0.5 + 0.5 * env_.random01())));
      row.next_attempt_unix_ms = env_.now_ms() + delay.count();
      queue_.update(row, nullptr);
      log(2, "outbound op " + std::to_string(id) + " (" + state::to_string(row.kind) + " of turn " +
                 row.turn_id + ") failed (" + row.last_error + "); retry " +
                 std::to_string(row.attempts + 1) + " in " + std::to_string(delay.count()) + " ms");
      return wait(key, e, delay);
    }
  }
  if (r.code == PB_ERR_UNSUPPORTED) {  // the renderer falls back; nothing for an operator
    queue_.remove(id, nullptr);
    return finish(key, r);
  }
  row.state = outbound_state::dead;
  queue_.update(row, nullptr);
  log(3, "outbound op " + std::to_string(id) + " (" + state::to_string(row.kind) + " of turn " +
             row.turn_id + ") is a dead letter: " + row.last_error);
  finish(key, r);
}

// A single-use reply token was spent the moment the platform saw the op: retries go without it.
void worker::drop_spent_token(outbound_row& row) {
  auto op = messages::outbound_op_from_json(row.payload, nullptr);
  if (!op || !op->single_use_token) return;
  std::string& token = op->is_edit ? op->edit.reply_context : op->send.reply_context;
  if (token.empty()) return;
  token.clear();
  row.payload = messages::to_json(*op);
}

std::string worker::retry(int64_t id) {
  auto row = queue_.row(id);
  if (!row) return "no such op";
  if (row->state != outbound_state::dead)
    return "not a dead letter (state " + std::string(state::to_string(row->state)) + ")";
  row->state = outbound_state::pending;
  row->attempts = 0;
  row->next_attempt_unix_ms = 0;
  queue_.update(*row, nullptr);
  entry e;
  e.id = id;
  e.durable = true;
  e.done = [this, r0 = *row](const messages::op_result& r) {
    if (on_recovered_) on_recovered_(r0, r);
  };
  lanes_[row->ordering_key].ops.push_back(std::move(e));
  pump(row->ordering_key);
  return {};
}

std::string worker::drop(int64_t id) {
  auto row = queue_.row(id);
  if (!row) return "no such op";
  auto l = lanes_.find(row->ordering_key);
  if (l != lanes_.end()) {
    auto& ops = l->second.ops;
    auto it = std::find_if(ops.begin(), ops.end(), [&](const entry& e) { return e.id == id; });
    if (it != ops.end()) {
      if (it->in_flight) return "in flight: the platform has not answered yet";
      if (it->timer) env_.sched->cancel(it->timer);
      op_done d = std::move(it->done);
      bool front = it == ops.begin();
      ops.erase(it);
      queue_.remove(id, nullptr);
      log(2, "outbound op " + std::to_string(id) + " dropped by an operator");
      if (d) d(messages::op_result{PB_ERR_REJECTED, "dropped by an operator", 0, {}});
      if (front) pump(row->ordering_key);
      return {};
    }
  }
  queue_.remove(id, nullptr);
  log(2, "outbound op " + std::to_string(id) + " dropped by an operator");
  return {};
}

}  // namespace patchbay::outbound
