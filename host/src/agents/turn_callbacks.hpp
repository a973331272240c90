// The turns of `callback` agents waiting for the agent's answer (docs/architecture.md §6, §9): each
// registered with its per-turn token and the sink its payloads go to. POST
// /v1/turns/<turn>/responses hands the posted body to deliver(); the callback backend registers a
// turn when it sends it and ends it when the router gives up on it (cancel). A terminal payload
// ends the turn here by itself. Once ended, a turn's token is worthless (410).
//
// This is the one seam for several replicas: with several patchbay replicas on one PostgreSQL,
// the agent's POST may reach a replica other than the one rendering the turn. An implementation
// of this interface for that case records the turn's owner and token hash in the database and
// routes a post for a turn it does not hold to its owner (NOTIFY to the owner's channel); it is a
// later step. make_local_turn_callbacks() is the in-process one (one host, or a post that reaches
// the owner).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace patchbay::agents {

// What a post to a turn's response route came to (the route maps it to an HTTP status).
enum class callback_status {
  accepted,      // 202: `accepted` payloads went to the turn
  bad_request,   // 400: `reason` says why (nothing was delivered)
  unauthorized,  // 401: no token, or not this turn's
  unknown_turn,  // 404
  gone,          // 410: the turn ended (terminal delivered, cancelled, timed out)
  unavailable,   // 503: the host is shutting down
};

struct callback_outcome {
  callback_status status = callback_status::bad_request;
  std::size_t accepted = 0;
  std::string reason;  // for 400: operator-facing, quotes no payload text
};

class turn_callbacks {
 public:
  // Receives each accepted payload (one thread_response JSON object, its `turn` set), in order.
  // Called under the registry's lock: must not block nor call back into the registry.
  using sink = std::function<void(std::string payload_json)>;

  virtual ~turn_callbacks() = default;
  // A turn waits for posts authenticated by `token` (a secret: never logged).
  virtual void add(const std::string& turn_id, const std::string& token, sink to) = 0;
  // A post for `turn_id` presenting `token` (the Bearer credential; compared in constant time).
  // `body`: one thread_response object, a JSON array of them, or NDJSON lines; a payload's `turn`,
  // when present, must be `turn_id`. All-or-nothing: a body with one bad payload delivers none.
  virtual callback_outcome deliver(const std::string& turn_id, std::string_view token,
                                   std::string_view body) = 0;
  // The turn ended (cancelled, timed out, failed): its token stops working. Idempotent.
  virtual void end(const std::string& turn_id) = 0;
  // Shutting down: every post answers `unavailable` from now on.
  virtual void close() = 0;
};

// The in-process registry. It remembers up to `ended_memory` ended turns (with their tokens) to
// answer 410 rather than 404 for them.
std::shared_ptr<turn_callbacks> make_local_turn_callbacks(std::size_t ended_memory = 4096);

// A fresh per-turn token: 256 random bits from OpenSSL's CSPRNG, hex.
std::string new_callback_token();

}  // namespace patchbay::agents
