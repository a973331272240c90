// PLACEHOLDER: replaced by the http backend (issue 5).
#include "agents/backends.hpp"

namespace patchbay::agents {

std::unique_ptr<agent> make_http_agent(std::string_view, agent_env, std::string& error) {
  error = "the http agent is not available in this build";
  return nullptr;
}

}  // namespace patchbay::agents
