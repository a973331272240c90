// The capabilities a renderer works with for one turn: the plugin's, narrowed by what the inbound
// message said about its conversation (docs/architecture.md §3). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "patchbay/pb_types.h"

namespace patchbay::render {

struct effective_caps {
  uint32_t limit = 0;  // 0 = unlimited
  int32_t unit = PB_UNIT_CODEPOINTS;
  bool can_edit = false;
  bool can_ephemeral = false;
  int32_t reply_token = PB_REPLY_TOKEN_NONE;
  uint32_t min_edit_interval_ms = 0;
  uint32_t max_edits = 0;  // 0 = unlimited
  bool can_typing = false;
  uint32_t max_sends = 0;        // sends one reply may take (max_sends_per_reply); 0 = unlimited
  bool can_attachments = false;  // may send pb_outbound_message.attachment (ABI minor 3)
  uint64_t max_attachment_size = 0;  // bytes; 0 = unknown
};

// The narrower of the two: the smaller non-zero limit (in the plugin's unit unless the narrowing
// names its own), a capability only when neither says no, the longer edit interval, the smaller
// edit budget, and the narrowing's reply-token kind when it gives one.
effective_caps narrow(const pb_capabilities& plugin, const std::optional<pb_capabilities>& msg);

}  // namespace patchbay::render
