// The running requests of an HTTP-based agent backend (`http`, `openai`), by turn id: admission
// with a bound (max_in_flight), cancel of one, stop of all. A call type `T` derives from
// http_call_base: once cancelled it delivers nothing more, and its request ends promptly (the
// kit's http_cancel; a body chunk arriving meanwhile also returns false).
//
// Thread safety: every method may be called from any thread (the router's strand admits, cancels
// and stops; the kit's request strand calls finished()). Shared by the agent and the completion
// callbacks of its requests through a shared_ptr, so it outlives the agent if needed.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agents/agent_options.hpp"
#include "patchbay/kit/http_client.hpp"

namespace patchbay::agents {

// One request answering one turn.
struct http_call_base {
  explicit http_call_base(std::string id) : turn_id(std::move(id)) {}
  // Any thread. Idempotent.
  void cancel() {
    cancelled = true;
    abort->cancel();
  }
  const std::string turn_id;
  std::atomic<bool> cancelled{false};
  const std::shared_ptr<kit::http_cancel> abort = std::make_shared<kit::http_cancel>();
};

template <class T>
class call_registry {
 public:
  explicit call_registry(std::size_t max_in_flight) : max_(max_in_flight) {}

  enum class admission { ok, stopped, busy };
  admission admit(const std::shared_ptr<T>& call) {
    std::lock_guard lock(mtx_);
    if (stopped_) return admission::stopped;
    if (calls_.size() >= max_) return admission::busy;
    calls_[call->turn_id] = call;
    return admission::ok;
  }
  // The request of `call` completed (it is forgotten unless a newer call took its turn id).
  void finished(const std::shared_ptr<T>& call) {
    std::lock_guard lock(mtx_);
    auto it = calls_.find(call->turn_id);
    if (it != calls_.end() && it->second == call) calls_.erase(it);
  }
  void cancel(const std::string& turn_id) {
    std::lock_guard lock(mtx_);
    auto it = calls_.find(turn_id);
    if (it == calls_.end()) return;
    it->second->cancel();
    calls_.erase(it);
  }
  // Deliberate stop: every call cancelled, later admissions refused.
  void stop() {
    std::lock_guard lock(mtx_);
    stopped_ = true;
    for (auto& [id, call] : calls_) call->cancel();
    calls_.clear();
  }
  bool full() const {
    std::lock_guard lock(mtx_);
    return calls_.size() >= max_;
  }
  std::size_t size() const {
    std::lock_guard lock(mtx_);
    return calls_.size();
  }

 private:
  const std::size_t max_;
  mutable std::mutex mtx_;
  std::map<std::string, std::shared_ptr<T>> calls_;
  bool stopped_ = false;
};

// `auth: user_identity` needs the host's identity bindings (`user_token`, agent_env). Without them
// the admitted `call` is forgotten and the turn refused with `error_text`; true when they exist.
template <class T, class TokenFn>
bool user_tokens_or_refuse(const TokenFn& user_token, call_registry<T>& calls,
                           const std::shared_ptr<T>& call, std::string& error_text) {
  if (user_token) return true;
  calls.finished(call);
  error_text =
      "This agent acts with the asking user's own identity, but the gateway has no "
      "identity bindings configured.";
  return false;
}

// The deadlines, and the call's abort handle.
inline void prepare_request(const http_deadlines& d, const http_call_base& call,
                            kit::http_client_request& req) {
  req.cancel = call.abort;
  req.connect_timeout = d.connect;
  req.first_byte_timeout = d.first_byte;
  req.idle_timeout = d.idle;
  req.total_timeout = d.total;
}

}  // namespace patchbay::agents
