// The turn service's agents by name, reconfigurable while turns run (a config reload,
// docs/architecture.md §12): an added agent is usable at once; a changed one is replaced for
// new turns (queued ones included) while turns already running on the old backend finish there;
// a removed one takes no new turn. A replaced or removed backend is stopped once no running turn
// uses it (sweep) and destroyed with the table (after the runtime stopped, as agent.hpp
// requires), so each changed agent costs one idle object until the process exits.
//
// Thread safety: everything but has() runs on the router's strand; has() may be called from any
// thread (the HTTP routes check agent names with it).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agents/agent.hpp"
#include "config/config.hpp"

namespace patchbay::turns {

class agent_table {
 public:
  // Builds the backend of `cfg`; nullptr (with `error` set) when its options are invalid.
  using factory = std::function<std::unique_ptr<agents::agent>(const config::agent_config& cfg,
                                                               std::string& error)>;
  // Whether a turn is still running (not yet ended) in the router.
  using running_fn = std::function<bool(const std::string& turn_id)>;

  // `running` tells which turns the router still runs (to forget finished ones).
  explicit agent_table(running_fn running) : running_(std::move(running)) {}
  ~agent_table();
  agent_table(const agent_table&) = delete;
  agent_table& operator=(const agent_table&) = delete;

  // Applies the configured agents (plus the built-in `echo` when none is named so), keeping every
  // backend whose type and options are unchanged. The first configured agent (else `echo`) is the
  // default. Unusable agents stay listed with their problem (logged).
  void configure(const std::vector<config::agent_config>& agents, const factory& make);
  // A host-owned agent that configure() never replaces (the identity command agent).
  void add_fixed(const std::string& name, const std::string& type,
                 std::unique_ptr<agents::agent> backend);

  // Starts `turn_id` on the agent `name`; false with the user-facing `error_text` when it cannot.
  bool start(const std::string& name, const std::string& turn_id, const std::string& request_json,
             std::string& error_text);
  void cancel(const std::string& turn_id);
  // Whether the agent `name` is at its own concurrency limit now (false when unknown/unusable:
  // start() then answers why).
  bool at_capacity(const std::string& name) const;
  // The deadlines of the agent `name`'s turns ({} when unknown/unusable).
  agents::turn_deadlines deadlines(const std::string& name) const;
  // Stops every backend, current and retired (shutdown): they notify nothing.
  void stop_all();
  // Forgets finished turns and stops the retired backends no running turn uses. Returns how many
  // retired backends still wait for their turns.
  std::size_t sweep();

  const std::string& default_agent() const { return default_; }
  bool has(const std::string& name) const;

 private:
  struct entry {
    config::agent_config cfg;
    std::unique_ptr<agents::agent> backend;  // null when its options were invalid
    std::string problem;                     // why it is null
    bool fixed = false;
  };
  void retire(std::unique_ptr<agents::agent> backend);
  void publish_names();

  std::map<std::string, entry> agents_;
  std::string default_;
  // Backends replaced or removed by a reload: `retired_` still finish their turns; `stopped_`
  // have none left and wait for the table's destruction.
  std::vector<std::unique_ptr<agents::agent>> retired_, stopped_;
  running_fn running_;
  std::map<std::string, agents::agent*> turns_;  // running turn → the backend it started on
  std::size_t prune_at_ = 64;                    // turns_ size that triggers forgetting
  mutable std::mutex names_mu_;
  std::set<std::string> names_;  // copy of agents_' keys for has()
};

}  // namespace patchbay::turns
