// The host's own answers as turns: a message the host answers itself (a built-in command, an
// access or limit notice) runs as a turn of the built-in agent `host_answer_agent_name`, so it is
// rendered, persisted and recovered like any agent's answer. The text travels in the turn request
// under "host_answer".
// Threading: as every agent (agents/agent.hpp): start/cancel on the router's strand.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "agents/agent.hpp"

namespace patchbay::agents {

inline constexpr std::string_view host_answer_agent_name = "\x1fhost-answer";
inline constexpr std::string_view host_answer_key = "host_answer";

// Answers `turn_id` with `text` as content, then done (one payload; thread-safe as env.deliver).
void answer_with_text(const agent_env& env, const std::string& turn_id, std::string text);

std::unique_ptr<agent> make_host_answer_agent(agent_env env);

}  // namespace patchbay::agents
