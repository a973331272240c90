// The durable outbound queue over HTTP (docs/architecture.md §7, §9), bearer token as every /v1
// route:
//   GET  /v1/queue              {"ops":[{"id","channel","turn","kind","state","attempts",
//                               "age_ms","next_attempt_unix_ms","last_error","text"}],
//                               "channels":{"<id>":{"depth","dead","oldest_age_ms"}}}
//                               (text: the message text, cut to 80 bytes; never a reply token)
//   POST /v1/queue/<id>/retry   a dead letter is tried again (409 when it is not dead)
//   POST /v1/queue/<id>/drop    a dead or waiting op is removed (409 while in flight)
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "api/routes.hpp"

namespace patchbay::api {

// Per channel: live ops (pending and in flight), dead letters, the oldest live op's age.
struct queue_figures {
  uint64_t depth = 0;
  uint64_t dead = 0;
  int64_t oldest_age_ms = 0;
};
std::map<std::string, queue_figures> queue_stats(state::store& store, int64_t now_unix_ms);

// Any request under /v1/queue (answers it).
void handle_queue(api_context& ctx, const std::shared_ptr<kit::http_exchange>& ex);

}  // namespace patchbay::api
