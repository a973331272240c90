#include "identity/policy.hpp"

#include <cctype>

namespace patchbay::identity {

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string send_init(bool direct) {
  return direct ? "send /init to bind again" : "send /init to me in a direct message to bind again";
}

}  // namespace

command parse_command(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  std::size_t end = 0;
  while (end < text.size() && !is_space(text[end])) ++end;
  std::string_view word = text.substr(0, end);
  if (auto at = word.find('@'); at != std::string_view::npos) word = word.substr(0, at);
  if (iequals(word, "/init")) return command::init;
  if (iequals(word, "/unbind")) return command::unbind;
  return command::none;
}

bool needs_local_revoke(exchange_outcome o) {
  return o == exchange_outcome::invalid_grant || o == exchange_outcome::invalid_scope ||
         o == exchange_outcome::record_broken;
}

namespace texts {

std::string init_in_group() {
  return "To bind your NyxID account, send /init to me in a direct message (the sign-in link is "
         "personal and is never posted in a group).";
}
std::string init_already_bound() {
  return "You are already bound to NyxID: /unbind first, then /init to bind again.";
}
std::string init_link(std::string_view url) {
  return "Open this link to bind your NyxID account (valid for 5 minutes):\n" + std::string(url);
}
std::string init_unavailable() {
  return "Binding is not available right now; please try /init again in a moment.";
}
std::string unbind_done() { return "Unbound from NyxID; send /init to bind again."; }
std::string unbind_not_bound() { return "You are not bound to NyxID; nothing to unbind."; }
std::string unbind_failed() {
  return "Could not finish unbinding from NyxID; please try /unbind again.";
}
std::string not_bound(bool direct) {
  return direct ? "This agent acts with your own NyxID identity, which is not bound yet: send "
                  "/init to bind it."
                : "This agent acts with your own NyxID identity, which is not bound yet: send "
                  "/init to me in a direct message to bind it.";
}
std::string healed(exchange_outcome o, revoke_result r, bool direct) {
  std::string why;
  switch (o) {
    case exchange_outcome::invalid_scope:
      why = "Your NyxID binding lacks the permission this agent needs";
      break;
    case exchange_outcome::record_broken:
      why = "Your NyxID binding record here was incomplete";
      break;
    default:
      why = "Your NyxID binding is no longer valid (revoked, or unknown to NyxID)";
      break;
  }
  if (r == revoke_result::removed)
    return why + ". I cleared it, so /init will work now: " + send_init(direct) + ".";
  return why +
         ", and the automatic clean-up failed. Send /unbind to clear it, then /init to "
         "bind again.";
}
std::string exchange_unavailable() {
  return "NyxID could not be reached to use your identity; please try again in a moment.";
}
std::string no_user_identity() {
  return "This agent acts with the asking user's own NyxID identity; it answers only on chat "
         "channels with identity bindings.";
}

}  // namespace texts
}  // namespace patchbay::identity
