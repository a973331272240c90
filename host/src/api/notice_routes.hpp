// Outbound routes and the failure-notice plan for proactive sends (POST /v1/messages, issue 5).
//
// A route is where a message can go: a channel instance and a conversation in it (and optionally
// a thread). When a proactive send's primary route is rejected STRUCTURALLY (auth, rejected —
// e.g. cross-tenant —, not found), retrying the same route cannot help, so the host tells the user
// that the message failed, trying in this order until one notice is delivered:
//   1. the route the user last reached the bot through (where they demonstrably can be reached),
//   2. the fallback routes the send named, in the order given,
//   3. the primary route itself (a short notice may pass where the message did not).
// Routes equal under equal_routes() (channel and conversation compared case-insensitively, thread
// too) are tried once, at their first position. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace patchbay::api {

struct route {
  std::string channel;       // channel instance id
  std::string conversation;  // chat id on that channel
  std::string thread;        // "" = top level
};

bool equal_routes(const route& a, const route& b);

// True for the error classes (pb_error_code) that no retry on the same route can fix.
bool structural_failure(int32_t pb_code);

std::vector<route> plan_failure_notice(const route& primary, const std::optional<route>& last_seen,
                                       const std::vector<route>& fallbacks);

// The notice text for a failed proactive send (`job` may be empty). No secrets: `reason` is a
// plugin error message, which the ABI already forbids to carry any.
std::string failure_notice_text(std::string_view job, std::string_view reason);

}  // namespace patchbay::api
