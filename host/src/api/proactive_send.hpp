// POST /v1/messages: a message to a channel target without an inbound turn (scheduled reports,
// alerts), chunked like replies (the channel's limit and unit, part markers).
//
//  - Parts go out in order; a transient failure (retryable, rate limited) is retried up to 3 times
//    per part with backoff (honouring the plugin's retry-after, at most 10 s per wait). Each part
//    carries an idempotency id (turn_id "send-<request>-p<k>") stable across its retries.
//  - The caller gets the primary route's own outcome, as soon as it is known: 200 with the message
//    ids, or an error with the plugin's class and message (never masked by what follows).
//  - `attachments` (the thread_response attachment form, docs/architecture.md §4) are checked and
//    materialised BEFORE anything is sent: a channel that cannot send files answers 422
//    cannot_send_files, a file over the limit 413 attachment_too_large, any other refusal 422
//    attachment_refused (each naming the file), and nothing goes out. Then the text parts, then
//    each file followed by its caption, in order; spool files are deleted once sent or given up.
//  - When the primary route fails structurally (auth, rejected, not found), a failure notice is
//    then sent in the background along api::plan_failure_notice (the route the user last reached
//    the bot through, the request's fallbacks, the primary), first success wins; every failed
//    attempt is logged and swallowed.
// Thread safety: start() from any thread; the work runs on its own strand.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/notice_routes.hpp"
#include "messages/messages.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "plugin/instance_directory.hpp"

namespace patchbay::state {
class store;
}
namespace patchbay::access {
class gate;
}
namespace patchbay::media {
class outbound_materializer;
}

namespace patchbay::api {

// The largest `text` of POST /v1/messages (a long report is chunked into as many parts as it
// takes), and the body limit the host's HTTP server allows that route (escaping grows the text).
inline constexpr std::size_t proactive_max_text_bytes = 4u << 20;
inline constexpr std::size_t proactive_max_body_bytes = 12u << 20;

struct proactive_request {
  api::route target;
  std::string text;  // may be empty when attachments are given
  std::vector<messages::attachment_spec> attachments;
  std::string user;  // the recipient's user id, to find the route they last used (optional)
  std::string job;   // a name for the notice text, e.g. "daily report" (optional)
  std::vector<api::route> fallbacks;
};

// Parses the JSON body; on error returns nullopt and sets `error` (for a 400).
std::optional<proactive_request> parse_proactive_request(std::string_view body, std::string& error);

// Where each user last reached the bot (store instance "routes", key "last:<user id>").
void remember_route(state::store& store, const std::string& user, const api::route& r);
std::optional<api::route> last_route(state::store& store, const std::string& user);

// 403 access_denied when the channel's access rules do not allow sending to the request's
// primary route (access::gate::admits_send); nullopt when allowed or `gate` is null.
std::optional<kit::http_response> refuse_by_access(const access::gate* gate,
                                                   const proactive_request& req);

// Runs one send and answers `ex` (404 unknown channel, 503 not running, 200, 4xx/5xx by class).
// `media`: where attachments are materialised (null: a request with attachments answers 422).
void start_proactive_send(kit::io_runtime& rt, plugin::instance_directory& channels,
                          state::store& store, proactive_request req,
                          std::shared_ptr<kit::http_exchange> ex,
                          media::outbound_materializer* media = nullptr);

}  // namespace patchbay::api
