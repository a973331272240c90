#include "app/channel_metrics.hpp"

namespace patchbay::app {

plugin::instance_events counted_events(plugin::instance_events ev,
                                       std::shared_ptr<metrics::channel_counters> counters) {
  if (!counters) return ev;
  ev.status = [next = std::move(ev.status), c = counters](const pb_status& st) {
    if (next) next(st);
    c->status(st.state == PB_STATE_RECONNECTING);
  };
  ev.inbound_outcome = [next = std::move(ev.inbound_outcome),
                        c = counters](pb_inbound_disposition d) {
    if (next) next(d);
    c->inbound(d == PB_INBOUND_ACCEPTED    ? metrics::inbound_outcome::accepted
               : d == PB_INBOUND_DUPLICATE ? metrics::inbound_outcome::duplicate
                                           : metrics::inbound_outcome::refused);
  };
  ev.overloaded = [next = std::move(ev.overloaded), c = counters] {
    if (next) next();
    c->overloaded();
  };
  ev.op_outcome = [next = std::move(ev.op_outcome), c = std::move(counters)](
                      std::string_view what, const messages::op_result& r) {
    if (next) next(what, r);
    c->outbound(what, r.code);
  };
  return ev;
}

}  // namespace patchbay::app
