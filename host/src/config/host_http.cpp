// `host.http` (the HTTP server's connection and body limits) and `host.metrics` (who may read
// /metrics), read into host_config.
#include "config/detail.hpp"

namespace patchbay::config::detail {

void read_host_http(context& ctx, const field& f, http_limits_config& out) {
  const auto entries = map_entries(ctx, f, "a map",
                                   {"max_connections", "max_connections_per_client",
                                    "reserve_connections", "max_total_body_bytes"});
  struct count_key {
    const char* name;
    std::size_t http_limits_config::*member;
    std::int64_t min;
    std::int64_t max;
    const char* expected;
  };
  static const count_key counts[] = {
      {"max_connections", &http_limits_config::max_connections, 1, 1'000'000,
       "a number of connections from 1 to 1000000"},
      {"max_connections_per_client", &http_limits_config::max_connections_per_client, 0, 1'000'000,
       "a number of connections from 0 (no per-client limit) to 1000000"},
      {"reserve_connections", &http_limits_config::reserve_connections, 0, 100'000,
       "a number of connections from 0 to 100000"},
      {"max_total_body_bytes", &http_limits_config::max_total_body_bytes, std::int64_t{1} << 20,
       std::int64_t{1} << 40, "a number of bytes from 1048576 (1 MiB) to 1099511627776 (1 TiB)"}};
  for (const auto& c : counts) {
    if (const field* entry = find_entry(entries, c.name)) {
      if (auto n = read_int(ctx, *entry, c.min, c.max, c.expected))
        out.*c.member = static_cast<std::size_t>(*n);
    }
  }
}

void read_host_metrics(context& ctx, const field& f, bool& require_token) {
  const auto entries = map_entries(ctx, f, "a map", {"require_token"});
  if (const field* entry = find_entry(entries, "require_token")) {
    if (auto b = read_bool(ctx, *entry)) require_token = *b;
  }
}

}  // namespace patchbay::config::detail
