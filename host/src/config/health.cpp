// The `host.health:` section: channel_grace_ms and report_interval_ms (health_config).
#include "config/detail.hpp"

namespace patchbay::config::detail {

void read_health(context& ctx, const field& f, health_config& out) {
  constexpr std::int64_t max_ms = std::int64_t{24} * 60 * 60 * 1000;
  const auto entries = map_entries(ctx, f, "a map", {"channel_grace_ms", "report_interval_ms"});
  if (const field* grace = find_entry(entries, "channel_grace_ms")) {
    if (auto ms = read_int(ctx, *grace, 0, max_ms, "a number of milliseconds from 0 to 86400000"))
      out.channel_grace = std::chrono::milliseconds(*ms);
  }
  if (const field* interval = find_entry(entries, "report_interval_ms")) {
    if (auto ms = read_int(ctx, *interval, 1000, max_ms,
                           "a number of milliseconds from 1000 to 86400000"))
      out.report_interval = std::chrono::milliseconds(*ms);
  }
}

}  // namespace patchbay::config::detail
