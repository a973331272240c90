// Agent backends (docs/architecture.md §6): what the turn service needs from one configured agent.
//
// Contract for every backend:
//  - start() takes a turn (its request JSON: turn, thread, channel, text; for channel turns also
//    conversation, conversation_kind ("direct", "group", "thread" or ""), sender, sender_name,
//    message (the id of the message answered), thread_id) and
//    answers it through env.deliver with thread_response JSON payloads ({"turn": id,
//    "delta"|"content"|"error"|"done": ...}), or ends it with env.fail(turn_id, user_text) when
//    the backend itself failed (spawn failure, crash, HTTP error, stream ended without a
//    terminal event). Exactly one terminal per turn, whatever goes
//    wrong; the router ignores (and counts) a second one, but backends must not rely on that.
//  - cancel(turn_id): the router gave up on the turn (timeout, client gone); stop work on it and
//    send nothing more for it.
//  - stop(): deliberate stop (shutdown, reload): abort everything, notify nothing, return quickly
//    (never block: e.g. signal a child process, do not wait for it). Called at most once, on the
//    router's strand; the turn service then ends the turns still running itself.
//  - Destruction happens after the io runtime stopped (no callback of it runs concurrently).
//  - Threading: start/cancel are called on the router's strand. env.deliver / env.fail may be
//    called from any thread (they hop to the router's strand themselves).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace patchbay::kit {
class io_runtime;
}
namespace patchbay::state {
class store;
}
namespace patchbay::config {
struct agent_config;
}
namespace patchbay::turns {
class scheduler;
}

namespace patchbay::agents {

class turn_callbacks;

// The asking user's own credential for a turn (identity bindings, host/src/identity/): either a
// short-lived access token — a secret: sent only as the Bearer credential, never logged, never
// stored — or the text the user is told instead (not bound yet, binding cleared, provider down).
struct user_token_result {
  bool ok = false;
  std::string token;
  std::string user_text;
  bool notice = true;  // true: answer the turn with user_text as content (+ done); false: error
};
using user_token_fn = std::function<void(const std::string& request_json,
                                         std::function<void(user_token_result)> done)>;

// The bytes of one inbound attachment of a turn, read by its media id (the turn request's
// `attachments[].media_id`) through the host's media service: the path GET /v1/media uses
// (fetched lazily from the plugin, cached, capped by host.media.max_bytes), here also capped by
// the caller's `max_bytes`. On failure `error` says why (operator-facing, no secret).
struct media_read_result {
  bool ok = false;
  std::string mime_type;
  std::string bytes;
  std::string error;
};
using media_read_fn = std::function<void(const std::string& media_id, std::uint64_t max_bytes,
                                         std::function<void(media_read_result)> done)>;

struct agent_env {
  kit::io_runtime* rt = nullptr;      // for HTTP requests, timers, child processes
  turns::scheduler* sched = nullptr;  // the router's executor (timers on the router's strand)
  state::store* store = nullptr;      // conversation history etc. (instance key: "agent:<name>")
  std::string name;                   // the agent's configured name (for logs)
  std::function<void(std::string payload_json)> deliver;
  std::function<void(std::string turn_id, std::string user_text)> fail;
  // Operator-facing health of the backend ("" = healthy), e.g. "crash loop: exited with code 3,
  // 5 restarts in 60 s, next try in 40 s". Thread-safe.
  std::function<void(std::string problem)> report_health;
  // For `auth: user_identity`: finds the asking user's token for a turn (its request JSON); done
  // runs once, on any thread. Empty when the host has no identity bindings configured.
  user_token_fn user_token;
  // Reads an inbound attachment (media_read_result); done runs once, on any thread. Set by the
  // turn service; answers an error while the host offers no media.
  media_read_fn read_media;
  // The turns waiting for posts to POST /v1/turns/<turn>/responses (agents/turn_callbacks.hpp),
  // for the `callback` backend. Null when the host serves no such route.
  std::shared_ptr<turn_callbacks> callbacks;
};

// How long the router waits for a backend's turn: `idle` between payloads (0 = the host's
// host.turn_timeout) and `total` from the start (0 = no total deadline). Either one passing ends
// the turn with the router's usual timeout notice (and cancel()).
struct turn_deadlines {
  std::chrono::milliseconds idle{0};
  std::chrono::milliseconds total{0};
};

class agent {
 public:
  virtual ~agent() = default;
  // false → the turn cannot start; `error_text` is the user-facing reason (router ends the turn).
  virtual bool start(const std::string& turn_id, const std::string& request_json,
                     std::string& error_text) = 0;
  virtual void cancel(const std::string& turn_id) = 0;
  virtual void stop() {}
  // At its own concurrency limit (max_in_flight) now: start() would answer "busy". Any thread.
  virtual bool at_capacity() const { return false; }
  // The deadlines of this backend's turns (the `callback` backend answers in minutes).
  virtual turn_deadlines deadlines() const { return {}; }
};

// Builds the backend of `cfg.type` from its options_json. On bad options returns nullptr and sets
// `error` (operator-facing; never quotes option values, which may hold secrets).
std::unique_ptr<agent> make_agent(const config::agent_config& cfg, agent_env env,
                                  std::string& error);

}  // namespace patchbay::agents
