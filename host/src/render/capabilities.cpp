#include "render/capabilities.hpp"

#include <algorithm>

namespace patchbay::render {
namespace {
uint32_t min_nonzero(uint32_t a, uint32_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}
}  // namespace

effective_caps narrow(const pb_capabilities& p, const std::optional<pb_capabilities>& m) {
  effective_caps c;
  c.limit = p.max_message_size;
  c.unit = p.message_size_unit ? p.message_size_unit : PB_UNIT_CODEPOINTS;
  c.can_edit = p.can_edit == PB_YES;
  c.can_ephemeral = p.can_ephemeral == PB_YES;
  c.reply_token = p.reply_token ? p.reply_token : PB_REPLY_TOKEN_NONE;
  c.min_edit_interval_ms = p.min_edit_interval_ms;
  c.max_edits = p.max_edits_per_message;
  c.can_typing = p.can_typing == PB_YES;
  c.max_sends = p.max_sends_per_reply;  // the host's copies are zero-filled past struct_size
  // A plugin built against minor 2 or older has these zero-filled: no attachments.
  c.can_attachments = p.can_attachments == PB_YES;
  c.max_attachment_size = p.max_attachment_size;
  if (!m) return c;
  if (m->max_message_size != 0) {
    // A limit in another unit cannot be compared with ours: the narrowing's unit wins then.
    if (m->message_size_unit != 0 && m->message_size_unit != c.unit) {
      c.unit = m->message_size_unit;
      c.limit = m->max_message_size;
    } else {
      c.limit = min_nonzero(c.limit, m->max_message_size);
    }
  }
  if (m->can_edit == PB_NO) c.can_edit = false;
  if (m->can_ephemeral == PB_NO) c.can_ephemeral = false;
  if (m->reply_token != 0) c.reply_token = m->reply_token;
  c.min_edit_interval_ms = std::max(c.min_edit_interval_ms, m->min_edit_interval_ms);
  c.max_edits = min_nonzero(c.max_edits, m->max_edits_per_message);
  if (m->can_typing == PB_NO) c.can_typing = false;
  c.max_sends = min_nonzero(c.max_sends, m->max_sends_per_reply);
  if (m->can_attachments == PB_NO) c.can_attachments = false;
  if (m->max_attachment_size != 0 &&
      (c.max_attachment_size == 0 || m->max_attachment_size < c.max_attachment_size))
    c.max_attachment_size = m->max_attachment_size;
  return c;
}

}  // namespace patchbay::render
