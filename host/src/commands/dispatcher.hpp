// Built-in chat commands (/help /new /stop /whoami, and /init /unbind of identity bindings): the
// commands front stage of a channel's inbound path (turns/inbound_front.hpp). A message that is a
// command never reaches the channel's agent: it is answered by the host (one visible answer per
// message) or, for /init and /unbind, by the identity command agent.
//
// Threading: dispatch() runs on the turn service's strand and calls `host_ops` there; no I/O of
// its own.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "commands/parser.hpp"
#include "config/config.hpp"
#include "messages/messages.hpp"
#include "turns/inbound_front.hpp"

namespace patchbay::commands {

struct stop_report {
  std::size_t stopped = 0;  // running turns ended (their agents told to cancel)
  std::size_t refused = 0;  // running turns the asker may not stop
};

// What the commands need from the turn service (called on its strand).
class host_ops {
 public:
  virtual ~host_ops() = default;
  // Stops the running turns of the conversation thread of `m` (every epoch of it, not the host's
  // own answers) whose starter `may_stop(sender)` allows.
  virtual stop_report stop_running(const messages::inbound_message& m,
                                   const std::function<bool(const std::string&)>& may_stop) = 0;
  // Later turns of the conversation thread of `m` start on a fresh thread key (agent history
  // empty).
  virtual void start_new_thread(const messages::inbound_message& m) = 0;
};

struct request {
  const std::string& channel_id;
  const std::string& platform;
  const messages::inbound_message& message;
  const config::commands_config& cfg;
  std::string_view identity_agent;  // the agent answering /init and /unbind; "" = no identity
};

// nullopt: not a command (the next stage, then the agent, sees the message).
std::optional<turns::front_verdict> dispatch(const request& r, host_ops& host);

// The answers' texts (also used by the tests).
namespace texts {
std::string help(const config::commands_config& cfg, bool identity);
std::string whoami(const request& r, bool admin);
std::string stopped_turn();  // how a stopped turn ends on the platform
std::string stop_done();
std::string stop_not_allowed();
std::string nothing_to_stop();
std::string new_thread();
}  // namespace texts

}  // namespace patchbay::commands
