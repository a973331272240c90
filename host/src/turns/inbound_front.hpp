// The front of a channel's inbound path: before a durable, deduplicated message becomes a turn
// for its channel's agent, the host's front stages (access gate, built-in commands, inbound
// limits) look at it in the order they were added. The first stage with a verdict decides; a
// message no stage claims goes to the channel's agent.
//
// Threading: stages run on the turn service's strand, one message at a time; they must not block
// (state reads from memory only) and may keep their own state without locks.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "messages/messages.hpp"

namespace patchbay::turns {

struct front_verdict {
  enum class kind {
    agent,        // a turn for `agent` ("" = the channel's own agent)
    host_answer,  // a turn the host answers itself with `text` (rendered like agent content);
                  // it runs beside the conversation's turns, not queued behind them
    drop,         // no turn and no answer; `reason` is logged at debug level
    hold,         // the stage keeps the message and hands it back later (it calls on_inbound
                  // again); the turn is recorded now, unstarted, so a restart runs it (decided
                  // afresh) instead of losing a message the platform was told we have
  };
  kind what = kind::agent;
  std::string agent;
  // host_answer: the answer. agent: "" or the command the agent is asked to run (the turn
  // request's "command", e.g. "init" for the identity command agent).
  std::string text;
  std::string reason;
};

struct front_input {
  const std::string& channel_id;
  const std::string& platform;  // the plugin's platform name ("feishu", "weixin", ...)
  const messages::inbound_message& message;
};

// nullopt = not mine, ask the next stage.
using front_stage = std::function<std::optional<front_verdict>(const front_input&)>;

}  // namespace patchbay::turns
