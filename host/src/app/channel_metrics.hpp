// A channel's instance events, counted: wraps whatever the events already do (status board,
// health evidence, turns) with the channel's metric counters, so each event is counted once, on
// the thread it happens on, without a lock: inbound outcomes, send/edit/typing results by class,
// and transitions into reconnecting.
#pragma once

#include <memory>

#include "metrics/channel_counters.hpp"
#include "plugin/channel_instance.hpp"

namespace patchbay::app {

// Returns `ev` with each of status, inbound_outcome and op_outcome calling the original handler
// (if any) and then counting into `counters`. Null `counters`: `ev` unchanged.
plugin::instance_events counted_events(plugin::instance_events ev,
                                       std::shared_ptr<metrics::channel_counters> counters);

}  // namespace patchbay::app
