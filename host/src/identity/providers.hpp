// The host's identity providers (config `identity:`), and how the rest of the host reaches them:
// the OAuth callback route (GET /oauth/<provider>/callback, served without the API token: the
// signed state authenticates it), the built-in agent answering /init and /unbind turns, and the
// user_token function agents with `auth: user_identity` use (agents/agent.hpp).
//
// Thread safety: a registry is filled at start-up and read-only afterwards; its providers are
// thread-safe (broker_service.hpp).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agents/agent.hpp"
#include "identity/broker_service.hpp"
#include "patchbay/kit/http_server.hpp"

namespace patchbay::config {
struct config;
}
namespace patchbay::state {
class store;
}

namespace patchbay::identity {

class provider_registry {
 public:
  provider_registry() = default;
  // One provider per configured `identity:` entry, bindings in `store`.
  provider_registry(kit::io_runtime& rt, const config::config& cfg, state::store& store);

  void add(std::string provider, std::shared_ptr<broker_service> service);
  std::shared_ptr<broker_service> find(const std::string& provider) const;
  bool empty() const { return providers_.empty(); }

  // GET /oauth/<provider>/callback → true when `ex` was answered here.
  bool handle_http(const std::shared_ptr<kit::http_exchange>& ex) const;

 private:
  std::map<std::string, std::shared_ptr<broker_service>, std::less<>> providers_;
};

// `inner` with the identity callback routes in front (no bearer token on them).
kit::http_handler with_identity_routes(kit::http_handler inner,
                                       const std::shared_ptr<const provider_registry>& reg);

// The agent name under which the turn service runs /init and /unbind turns (not a configurable
// name: it cannot collide with agents from the config).
inline constexpr std::string_view command_agent_name = "\x1fidentity-commands";

// Who asks in a channel turn, and through which provider: found by the turn service from the
// turn's request JSON (channel, sender, conversation_kind). Called on the router's strand.
struct resolved_subject {
  std::shared_ptr<broker_service> service;
  subject who;
};
using subject_resolver =
    std::function<std::optional<resolved_subject>(const std::string& request_json)>;

// The built-in agent answering /init and /unbind turns with one `content` and `done`, so they are
// rendered and made durable like any agent's answer.
std::unique_ptr<agents::agent> make_command_agent(subject_resolver resolve, agents::agent_env env);

// The asker as a channel turn's request JSON names them ("channel", "sender",
// "conversation_kind"); nullopt when a field is missing (API turns have none).
struct turn_asker {
  std::string channel, sender;
  bool direct = false;
};
std::optional<turn_asker> read_turn_asker(const std::string& request_json);

// agents::agent_env::user_token over `resolve`.
agents::user_token_fn make_user_token_fn(subject_resolver resolve);

}  // namespace patchbay::identity
