// The built-in commands' user-facing texts.
#include "commands/dispatcher.hpp"

#include "patchbay/pb_messages.h"

namespace patchbay::commands::texts {
namespace {

std::string kind_or_unknown(int32_t kind) {
  const std::string name = messages::conversation_kind_name(kind);
  return name.empty() ? "unknown" : name;
}

}  // namespace

std::string help(const config::commands_config& cfg, bool identity) {
  const std::string& p = cfg.prefix;
  std::string out = "Commands:\n";
  if (cfg.enabled) {
    out += p + cfg.help + " — this list\n";
    out += p + cfg.new_thread + " — start a new conversation (the agent forgets this one)\n";
    out += p + cfg.stop + " — stop the answer being written\n";
    out += p + cfg.whoami + " — the ids an operator needs to allow you or make you an admin\n";
  }
  if (identity) {
    out += p + cfg.init + " — bind your account (in a direct message)\n";
    out += p + cfg.unbind + " — remove your binding\n";
  }
  out += "Anything else goes to the agent.";
  return out;
}

std::string whoami(const request& r, bool admin) {
  const auto& m = r.message;
  std::string out;
  out += "Channel: " + r.channel_id + " (platform " + r.platform + ")\n";
  out += "Conversation: " + m.conversation_id + " (" + kind_or_unknown(m.conversation_kind) + ")\n";
  if (!m.thread_id.empty()) out += "Thread: " + m.thread_id + "\n";
  out += "Sender: " + m.sender_id + "\n";
  out += std::string("Admin: ") + (admin ? "yes" : "no") + "\n";
  out += "(sender ids go in access.allow and commands.admins, conversation ids in groups.allow)";
  return out;
}

std::string stopped_turn() { return "Stopped."; }
std::string stop_done() { return "Stopped the answer."; }
std::string stop_not_allowed() {
  return "Only the person who asked, or an admin, can stop this answer.";
}
std::string nothing_to_stop() { return "Nothing to stop."; }
std::string new_thread() { return "Started a new conversation."; }

}  // namespace patchbay::commands::texts
