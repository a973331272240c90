// One factory per agent type (the turn service picks by `type`). Each validates its own options:
// `check_*` returns "" or an operator-facing error that names the option, never its value.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "agents/agent.hpp"

namespace patchbay::agents {

std::unique_ptr<agent> make_echo_agent(std::string_view options_json, const agent_env& env,
                                       std::string& error);
std::unique_ptr<agent> make_http_agent(std::string_view options_json, agent_env env,
                                       std::string& error);
std::unique_ptr<agent> make_openai_agent(std::string_view options_json, agent_env env,
                                         std::string& error);
std::unique_ptr<agent> make_process_agent(std::string_view options_json, agent_env env,
                                          std::string& error);
std::unique_ptr<agent> make_callback_agent(std::string_view options_json, agent_env env,
                                           std::string& error);

}  // namespace patchbay::agents
