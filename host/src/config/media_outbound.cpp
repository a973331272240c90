// The `host.media:` section's `outbound:` block (media_outbound_config): where agents' files may
// come from and how large they may be.

#include "config/detail.hpp"

namespace patchbay::config::detail {

void read_outbound(context& ctx, const field& f, media_outbound_config& out) {
  const auto entries = map_entries(
      ctx, f, "a map", {"allowed_paths", "max_bytes", "fetch_timeout_ms", "max_redirects"});
  if (const field* paths = find_entry(entries, "allowed_paths")) {
    for (auto& dir : read_string_list(ctx, *paths, "directory path", "a list of directories"))
      out.allowed_paths.push_back(resolve_path(ctx.base_dir, dir));
  }
  if (const field* max = find_entry(entries, "max_bytes")) {
    constexpr std::int64_t limit = std::int64_t{2} << 30;
    if (auto n = read_int(ctx, *max, 1, limit, "a number of bytes from 1 to 2147483648"))
      out.max_bytes = static_cast<std::uint64_t>(*n);
  }
  if (const field* t = find_entry(entries, "fetch_timeout_ms")) {
    if (auto ms =
            read_int(ctx, *t, 1000, 3'600'000, "a number of milliseconds from 1000 to 3600000"))
      out.fetch_timeout = std::chrono::milliseconds(*ms);
  }
  if (const field* r = find_entry(entries, "max_redirects")) {
    if (auto n = read_int(ctx, *r, 0, 10, "a number from 0 to 10")) out.max_redirects = int(*n);
  }
}

}  // namespace patchbay::config::detail
