#include "app/lease_keeper.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "patchbay/common/log_subject.hpp"

namespace patchbay::app {
using namespace std::chrono;

namespace {
const std::string lease_prefix = "channel:";

int64_t steady_ms() {
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

std::string new_incarnation() {
  std::random_device rd;
  const uint64_t v = (uint64_t{rd()} << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

struct lease_keeper::impl : std::enable_shared_from_this<impl> {
  impl(kit::io_runtime& rt, state::lease_table& t, state::replica_self s, lease_keeper_options o,
       std::function<void(lease_change)> cb)
      : leases(t),
        self(std::move(s)),
        opt(std::move(o)),
        on_change(std::move(cb)),
        strand(rt.make_strand()),
        timer(rt, strand) {
    if (!opt.monotonic_ms) opt.monotonic_ms = steady_ms;
    // Stop a little before another replica may take over: the stop itself takes a moment.
    margin = std::min<int64_t>(opt.ttl.count() / 5, 2000);
  }

  // Strand only from here on, but for `stopped` (mu).
  void tick() {
    if (is_stopped()) return;
    fence_expired();
    if (!in_flight) renew();
    timer.after(opt.renew_every, [w = weak_from_this()](bool cancelled) {
      if (auto self = w.lock(); self && !cancelled) self->tick();
    });
  }

  void renew() {
    in_flight = true;
    const int64_t started = opt.monotonic_ms();
    std::vector<std::string> names;
    for (const auto& c : wanted) names.push_back(state::channel_lease(c));
    leases.renew(
        self, opt.ttl, std::move(names), [w = weak_from_this(), started](state::renewal r) {
          auto s = w.lock();
          if (!s) return;
          s->strand.post(
              [s, started, r = std::move(r)]() mutable { s->landed(started, std::move(r)); });
        });
  }

  void landed(int64_t started, state::renewal r) {
    in_flight = false;
    if (is_stopped()) return;
    if (!r.error.empty()) {
      if (last_error != r.error)
        spdlog::warn("leases: cannot renew ({}); leases held end in {} ms unless a renewal lands",
                     r.error, std::max<int64_t>(0, valid_until - opt.monotonic_ms()));
      last_error = r.error;
      fence_expired();
      return;
    }
    last_error.clear();
    if (!r.other_incarnation.empty()) {
      if (renewed_once)
        spdlog::error(
            "leases: another running process uses replica id '{}' (incarnation {}): the two take "
            "each other's leases; fix: give every replica its own host.replica.id",
            self.id, r.other_incarnation);
      else
        spdlog::info("leases: taking over from the previous run of replica '{}' (incarnation {})",
                     self.id, r.other_incarnation);
    }
    renewed_once = true;
    valid_until = started + opt.ttl.count() - margin;
    for (const auto& v : r.leases) {
      if (v.name.rfind(lease_prefix, 0) != 0) continue;
      std::string ch = v.name.substr(lease_prefix.size());
      if (!wanted.count(ch)) continue;  // no longer wanted: released by the next renewal
      auto it = held.find(ch);
      if (v.held) {
        if (it != held.end() && it->second == v.token) continue;
        if (it != held.end())  // lost and taken back in between: a new token
          report({ch, false, 0,
                  "the lease changed hands (token " + std::to_string(it->second) + " -> " +
                      std::to_string(v.token) + ")"});
        held[ch] = v.token;
        report({ch, true, v.token, ""});
        continue;
      }
      std::string why = "runs on replica " + v.owner + " (this replica takes over if it stops)";
      if (it != held.end()) {
        held.erase(it);
        report({ch, false, 0, "lease taken over: " + why});
      } else if (standby[ch] != v.owner) {
        report({ch, false, 0, why});
      }
      standby[ch] = v.owner;
    }
  }

  // Self-fencing: nothing landed for too long, so another replica may own our leases by now.
  void fence_expired() {
    if (held.empty() || opt.monotonic_ms() < valid_until) return;
    const std::string why =
        "cannot renew the lease in time: " +
        (last_error.empty() ? std::string("the state store did not answer") : last_error);
    for (const auto& [ch, token] : held) report({ch, false, 0, why});
    held.clear();
    standby.clear();
  }

  void report(lease_change c) {
    if (c.held)
      spdlog::info("{}lease held (token {}): this replica runs the channel",
                   common::log_tag({.channel = c.channel}), c.token);
    else
      spdlog::info("{}not running here: {}", common::log_tag({.channel = c.channel}), c.reason);
    if (on_change) on_change(std::move(c));
  }

  bool is_stopped() {
    std::lock_guard lk(mu);
    return stopped;
  }

  state::lease_table& leases;
  const state::replica_self self;
  lease_keeper_options opt;
  std::function<void(lease_change)> on_change;
  kit::strand strand;
  kit::timer timer;
  int64_t margin = 0;
  // Strand only.
  std::set<std::string> wanted;
  std::map<std::string, int64_t> held;         // channel -> token
  std::map<std::string, std::string> standby;  // channel -> the holder last seen
  bool in_flight = false;
  bool renewed_once = false;
  int64_t valid_until = 0;  // monotonic ms: leases held are ours until then
  std::string last_error;
  std::mutex mu;
  bool stopped = false;
};

lease_keeper::lease_keeper(kit::io_runtime& rt, state::lease_table& leases,
                           state::replica_self self, lease_keeper_options opt,
                           std::function<void(lease_change)> on_change)
    : state_(std::make_shared<impl>(rt, leases, std::move(self), std::move(opt),
                                    std::move(on_change))) {}

lease_keeper::~lease_keeper() { stop(milliseconds(0)); }

void lease_keeper::want(std::vector<std::string> channels) {
  state_->strand.post([s = state_, channels = std::move(channels)] {
    s->wanted = {channels.begin(), channels.end()};
    for (auto it = s->held.begin(); it != s->held.end();)
      it = s->wanted.count(it->first) ? std::next(it) : s->held.erase(it);
    s->tick();
  });
}

void lease_keeper::stop(milliseconds budget) {
  {
    std::lock_guard lk(state_->mu);
    if (state_->stopped) return;
    state_->stopped = true;
  }
  state_->timer.cancel();
  if (budget.count() <= 0) return;
  auto p = std::make_shared<std::promise<std::string>>();
  auto f = p->get_future();
  // From the strand: no renewal can be issued after the release (tick checks `stopped` there).
  state_->strand.post([s = state_, p] {
    s->leases.release_all(s->self, [p](std::string err) { p->set_value(std::move(err)); });
  });
  if (f.wait_for(budget) != std::future_status::ready)
    spdlog::warn(
        "leases: releasing them took longer than {} ms; other replicas take over when "
        "this replica's heartbeat expires",
        budget.count());
  else if (auto err = f.get(); !err.empty())
    spdlog::warn(
        "leases: cannot release them ({}); other replicas take over when this "
        "replica's heartbeat expires",
        err);
}

}  // namespace patchbay::app
