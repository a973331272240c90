// Leases of the state store (docs/architecture.md §7 "Replicas and leases"): how several patchbay
// replicas sharing one store agree that exactly one of them runs a single-consumer channel
// instance (pb_capabilities.single_consumer) at a time.
//
// A replica is a row with a heartbeat; a lease names its owner replica (id and incarnation: one
// run of the process) and a fencing token. The lease is valid while its owner's heartbeat is
// fresh; once the heartbeat is older than the TTL, any replica may take the lease over, and taking
// it over (not renewing it) increments the token. Writes that only the lease holder may make (a
// poll cursor) carry the token and are refused once another replica took the lease
// (store::kv_set_fenced), so a replica that lost its lease without noticing cannot move the
// cursor under the new owner.
//
// Time is the store's clock (SQLite: store_options::clock; PostgreSQL: the server's), so replicas
// compare heartbeats on one clock. A replica restarted under the same id takes its own leases
// back at once (a new incarnation: the token moves on, fencing out the old process).
//
// Threading: like every store write, calls go through the engine's writer and `done` runs once,
// on the writer thread (or at once with an error when the store is closed or overloaded).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace patchbay::state {

struct replica_self {
  std::string id;           // stable per replica (host.replica.id, default the host name)
  std::string incarnation;  // random per process start
};

// One lease as a renewal saw it.
struct lease_view {
  std::string name;
  bool held = false;                  // held by the calling replica (this incarnation)
  int64_t token = 0;                  // the fencing token when held; the holder's when not
  std::string owner;                  // the holder's replica id ("" = free)
  int64_t owner_expires_unix_ms = 0;  // when the holder's heartbeat runs out (not held only)
};

struct renewal {
  std::string error;  // "" = the heartbeat and every lease below are durable as reported
  // The heartbeat row of this replica id held another incarnation whose heartbeat was still
  // fresh: a previous run of this replica (right after a crash) or, if it happens again later,
  // another live process configured with the same id. "" = none.
  std::string other_incarnation;
  std::vector<lease_view> leases;  // one per wanted name, in the order asked
};
using renewal_done = std::function<void(renewal)>;

// Names the fenced write must be checked against: the lease and the token the writer holds.
struct fence {
  std::string lease;
  int64_t token = 0;
  replica_self holder;
};

class lease_table {
 public:
  virtual ~lease_table() = default;

  // In one transaction: records the heartbeat of `self` (now; valid for `ttl`), then for each of
  // `wanted` keeps it if `self` holds it, takes it if it is free, held by an older incarnation of
  // `self`, or held by a replica whose heartbeat is older than `ttl`, and reports it otherwise.
  // Leases `self` holds and no longer wants are released.
  virtual void renew(const replica_self& self, std::chrono::milliseconds ttl,
                     std::vector<std::string> wanted, renewal_done done) = 0;

  // Gives up every lease `self` holds and removes its heartbeat, so other replicas take over at
  // once (a graceful stop). `done` as for store writes ("" = durable).
  virtual void release_all(const replica_self& self, std::function<void(std::string)> done) = 0;
};

// For engines: the write callback that completes a renewal `out` (filled in by the write) with
// `done` — as reported when the write landed, or with the error and nothing held when it failed.
inline std::function<void(const std::string&)> finish_renewal(std::shared_ptr<renewal> out,
                                                              renewal_done done) {
  return [out = std::move(out), done = std::move(done)](const std::string& err) {
    if (!done) return;
    if (err.empty()) return done(std::move(*out));
    renewal failed;
    failed.error = err;
    for (const auto& v : out->leases) failed.leases.push_back(lease_view{v.name});
    done(std::move(failed));
  };
}

// The lease name of channel instance `instance_id`.
inline std::string channel_lease(const std::string& instance_id) {
  return "channel:" + instance_id;
}

}  // namespace patchbay::state
