#include "state/inbound_fingerprint.hpp"

#include "patchbay/common/digest.hpp"

namespace patchbay::state {
namespace {

// Length-prefixed, so no two different field lists serialise alike.
void field(std::string& out, const std::string& v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
}

}  // namespace

std::optional<std::string> inbound_fingerprint(const messages::inbound_message& m) {
  if (m.sent_at_unix_ms == 0 || (m.text.empty() && m.attachments.empty())) return std::nullopt;
  std::string data;
  field(data, m.conversation_id);
  field(data, m.sender_id);
  field(data, m.text);
  for (const auto& a : m.attachments) field(data, a.id);
  field(data, std::to_string(m.sent_at_unix_ms));
  return common::sha256_hex(data);
}

}  // namespace patchbay::state
