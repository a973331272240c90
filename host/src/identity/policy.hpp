// Identity bindings' pure policy: which chat messages are the binding commands, what the user is
// told in each case, and the self-heal decision table. No I/O; thread-safe.
//
// Self-heal (the contract users rely on): when the token exchange answers invalid_grant (binding
// revoked or unknown to NyxID) or invalid_scope (scope mismatch), or the local record is there but
// unusable, the local binding is removed — one retry on a store failure, so exactly two attempts
// at most — and the user is told it was cleared and /init will work now ONLY if the removal
// succeeded. Otherwise the text says the automatic clean-up failed and points to /unbind. So
// /init ("already bound") and a turn ("cleared") can never contradict each other.
#pragma once

#include <string>
#include <string_view>

namespace patchbay::identity {

enum class command { none, init, unbind };
// "/init" or "/unbind" (case-insensitive, surrounding white space ignored, a "@botname" suffix
// and trailing arguments allowed); anything else is none.
command parse_command(std::string_view text);

// How a token exchange for a turn ended.
enum class exchange_outcome {
  token,          // an access token
  not_bound,      // no local binding: the user never bound (or unbound)
  invalid_grant,  // NyxID: binding revoked or unknown
  invalid_scope,  // NyxID: the binding lacks the scope
  record_broken,  // a local record exists but holds no usable binding id
  unavailable,    // NyxID unreachable, 5xx, unreadable answer, deadline: nothing is cleared
};
// True when the local binding must be removed (the self-heal cases).
bool needs_local_revoke(exchange_outcome o);
inline constexpr int max_local_revoke_attempts = 2;

enum class revoke_result { removed, failed };

// User-facing texts. `direct`: the conversation is a DM with the bot (else a group).
namespace texts {
std::string init_in_group();
std::string init_already_bound();
std::string init_link(std::string_view url);
std::string init_unavailable();
std::string unbind_done();
std::string unbind_not_bound();
std::string unbind_failed();
std::string not_bound(bool direct);
// After needs_local_revoke(o): `r` says whether the local removal succeeded.
std::string healed(exchange_outcome o, revoke_result r, bool direct);
std::string exchange_unavailable();
std::string no_user_identity();  // an agent that needs a user identity on a turn without one
}  // namespace texts

}  // namespace patchbay::identity
