// The host's side of the leases (state/lease_table.hpp): which single-consumer channels this
// replica runs. Every `renew_every` it records its heartbeat and asks for the lease of every
// channel it wants, in one store write; it reports each change (a lease gained with its fencing
// token, a lease lost and why, another replica's holder changing) to `on_change`, which starts or
// stops the channel.
//
// Self-fencing: a replica whose renewals stop landing (the store unreachable or slow) cannot know
// whether another replica took its leases over, so once `ttl - margin` has passed since the start
// of its last renewal that landed, it reports every lease lost ("cannot renew ...") without
// waiting for an answer: another replica may take a lease only after `ttl` without a heartbeat.
//
// A timer on the runtime and one strand (no thread of its own). Thread safety: want() and stop()
// from any thread; on_change runs on the keeper's strand, one call at a time, and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "patchbay/kit/runtime.hpp"
#include "state/lease_table.hpp"

namespace patchbay::app {

struct lease_change {
  std::string channel;
  bool held = false;
  int64_t token = 0;   // held: the fencing token the channel's writes carry
  std::string reason;  // not held: "runs on replica X", "cannot renew the lease: ..."
};

struct lease_keeper_options {
  std::chrono::milliseconds ttl{std::chrono::seconds(15)};
  std::chrono::milliseconds renew_every{std::chrono::seconds(5)};
  // Monotonic milliseconds (injectable for tests).
  std::function<int64_t()> monotonic_ms;
};

// A fresh incarnation id for this process start: 16 random hex digits.
std::string new_incarnation();

class lease_keeper {
 public:
  lease_keeper(kit::io_runtime& rt, state::lease_table& leases, state::replica_self self,
               lease_keeper_options opt, std::function<void(lease_change)> on_change);
  ~lease_keeper();
  lease_keeper(const lease_keeper&) = delete;
  lease_keeper& operator=(const lease_keeper&) = delete;

  // The channels this replica wants to run (replaces the previous set; a channel no longer wanted
  // has its lease released by the next renewal, without a change reported). Renews now.
  void want(std::vector<std::string> channels);
  // Stops renewing and releases every lease (a graceful stop: other replicas take over at once),
  // waiting at most `budget` for the store. No change is reported after it returns.
  void stop(std::chrono::milliseconds budget);

  struct impl;  // lease_keeper.cpp

 private:
  std::shared_ptr<impl> state_;
};

}  // namespace patchbay::app
