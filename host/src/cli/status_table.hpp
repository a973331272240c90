// `patchbay status`: the /v1/channels JSON as a table for people. A pure function (no I/O, the
// time passed in) so it is tested without a host.
#pragma once

#include <cstdint>
#include <string>

#include <boost/json/value.hpp>

namespace patchbay::cli {

// One row per channel: CHANNEL, PLUGIN, STATE, FOR (in that state), LAST INBOUND (ago), NEXT TRY
// (in), LAST ERROR (text, ago); then, indented under the row, the reason of a state that is not
// `connected` when the last error does not already say it, and the agent's problem if any.
// Fields an older host does not send show as "-". Throws std::exception on a body that is not
// {"channels":[...]}.
std::string render_status_table(const boost::json::value& channels_json, int64_t now_unix_ms);

// "45s", "12m05s", "3h12m", "2d04h": compact durations for the table (negative counts as 0).
std::string compact_duration(int64_t ms);

}  // namespace patchbay::cli
