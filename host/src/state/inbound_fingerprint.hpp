// The fallback dedup key of an inbound message: platforms re-push a message under a new event id,
// and sometimes under a new *message* id too. After the event id was accepted, the host also
// records this fingerprint (state::store::record_fingerprint); a second message with the same
// fingerprint is a duplicate. Pure; thread-safe.
//
// Fingerprint = sha256 over (conversation, sender, text, attachment ids, the platform's create
// time in ms), hex. The create time is exact: a re-push carries the original message's time, while
// a user who sends the same words again writes a new message with a new time. No fingerprint
// (nullopt) when the create time is unknown (0) or there is neither text nor an attachment.
#pragma once

#include <optional>
#include <string>

#include "messages/messages.hpp"

namespace patchbay::state {

std::optional<std::string> inbound_fingerprint(const messages::inbound_message& m);

}  // namespace patchbay::state
