// The `host.admission:` section: max_turns_in_flight, max_pending_turns, retry_after_ms
// (admission_config).
#include "config/detail.hpp"

namespace patchbay::config::detail {

void read_admission(context& ctx, const field& f, admission_config& out) {
  const auto entries =
      map_entries(ctx, f, "a map", {"max_turns_in_flight", "max_pending_turns", "retry_after_ms"});
  if (const field* n = find_entry(entries, "max_turns_in_flight")) {
    if (auto v = read_int(ctx, *n, 1, 100'000, "a number of turns from 1 to 100000"))
      out.max_turns_in_flight = static_cast<std::size_t>(*v);
  }
  if (const field* n = find_entry(entries, "max_pending_turns")) {
    if (auto v = read_int(ctx, *n, 0, 1'000'000, "a number of turns from 0 to 1000000"))
      out.max_pending_turns = static_cast<std::size_t>(*v);
  }
  if (const field* ms = find_entry(entries, "retry_after_ms")) {
    if (auto v = read_int(ctx, *ms, 100, 3'600'000, "a number of milliseconds from 100 to 3600000"))
      out.retry_after = std::chrono::milliseconds(*v);
  }
}

}  // namespace patchbay::config::detail
