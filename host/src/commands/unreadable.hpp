// "Every inbound message gets an outcome" (docs/architecture.md §6, "Messages without content"):
// a message that carries nothing an agent could read — no text once the mentions of this bot are
// removed (empty, blank, a mention only) and no attachment — reaches neither the agent nor
// silence: this front stage has the host answer it with texts::unreadable(). It runs after the
// access gate (a stranger's empty message stays unanswered) and the commands.
#pragma once

#include "messages/messages.hpp"
#include "turns/inbound_front.hpp"

namespace patchbay::commands {

// True when `m` has text beyond white space and mentions of this bot, or an attachment.
bool has_content(const messages::inbound_message& m);

// The front stage: a host answer for a message without content, else not its business.
turns::front_stage unreadable_stage();

namespace texts {
std::string unreadable();  // "I can't read this kind of message yet."
}

}  // namespace patchbay::commands
