// `host.replica`: who this host is among the replicas sharing one state store, and how long its
// leases last without a heartbeat (docs/architecture.md §7 "Replicas and leases").
#include <unistd.h>

#include <array>
#include <cctype>

#include "config/detail.hpp"

namespace patchbay::config::detail {

namespace {
bool valid_replica_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}
}  // namespace

std::string default_replica_id() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) == 0 && valid_replica_id(name.data()))
    return name.data();
  return "patchbay";
}

void read_replica(context& ctx, const field& f, replica_config& out) {
  const auto entries = map_entries(ctx, f, "a map", {"id", "lease_ttl_ms"});
  if (const field* id = find_entry(entries, "id")) {
    if (auto v = read_string(ctx, *id)) {
      if (valid_replica_id(*v))
        out.id = *v;
      else
        ctx.error(id->pos, id->path,
                  "a replica id is 1-128 characters of letters, digits, '-', '_' and '.' "
                  "(unique per replica: e.g. \"${HOSTNAME}\")");
    }
  }
  if (const field* ttl = find_entry(entries, "lease_ttl_ms")) {
    if (auto v =
            read_int(ctx, *ttl, 3'000, 600'000, "a number of milliseconds from 3000 to 600000"))
      out.lease_ttl = std::chrono::milliseconds(*v);
  }
}

}  // namespace patchbay::config::detail
