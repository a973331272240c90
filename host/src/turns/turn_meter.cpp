#include "turns/turn_meter.hpp"

namespace patchbay::turns {
using std::chrono::duration_cast;
using std::chrono::microseconds;

turn_meter::turn_meter(metrics::registry& m, clock_fn now) : m_(m), now_(std::move(now)) {
  if (!now_) now_ = [] { return std::chrono::steady_clock::now(); };
}

metrics::agent_counters& turn_meter::agent(const std::string& name) {
  auto& slot = agents_[name];
  if (!slot) slot = m_.agent(name);
  return *slot;
}

void turn_meter::refused(const turn_spec& /*t*/) { m_.turns().refused.add(); }

void turn_meter::admitted(const turn_spec& t) {
  m_.turns().started.add();
  admitted_at_[t.turn_id] = now_();
}

void turn_meter::first_output(const turn_spec& t) {
  auto it = admitted_at_.find(t.turn_id);
  if (it != admitted_at_.end())
    m_.turns().first_output.observe(duration_cast<microseconds>(now_() - it->second));
}

void turn_meter::ended(const turn_spec& t, turn_end how) {
  auto& tm = m_.turns();
  if (auto it = admitted_at_.find(t.turn_id); it != admitted_at_.end()) {
    tm.duration.observe(duration_cast<microseconds>(now_() - it->second));
    admitted_at_.erase(it);
  }
  switch (how) {
    case turn_end::completed:
      tm.completed.add();
      return;
    case turn_end::timed_out:
      tm.timed_out.add();
      agent(t.agent).error(metrics::agent_error_kind::timeout);
      return;
    case turn_end::agent_error:
      tm.errored.add();
      agent(t.agent).error(metrics::agent_error_kind::error_answer);
      return;
    case turn_end::start_failed:
      tm.errored.add();
      agent(t.agent).error(metrics::agent_error_kind::start_refused);
      return;
    case turn_end::failed:
      tm.errored.add();
      return;
  }
}

}  // namespace patchbay::turns
