// The `host.media:` section (media_config): inbound attachments served at GET /v1/media/<id>.
// `host.media.outbound:` is read by media_outbound.cpp (read_outbound).
#include <filesystem>

#include "config/detail.hpp"

namespace patchbay::config::detail {

void read_media(context& ctx, const field* f, const std::string& state_path, media_config& out,
                media_outbound_config& outbound) {
  if (f != nullptr) {
    out.pos = f->pos;
    const auto entries = map_entries(ctx, *f, "a map",
                                     {"max_bytes", "cache_dir", "cache_max_bytes", "cache_ttl_s",
                                      "url_ttl_s", "fetch_timeout_ms", "outbound"});
    if (const field* e = find_entry(entries, "outbound")) read_outbound(ctx, *e, outbound);
    constexpr std::int64_t tib = std::int64_t{1} << 40;
    if (const field* e = find_entry(entries, "max_bytes")) {
      if (auto n = read_int(ctx, *e, 1, tib, "a number of bytes from 1 to 1099511627776 (1 TiB)"))
        out.max_bytes = static_cast<std::uint64_t>(*n);
    }
    if (const field* e = find_entry(entries, "cache_max_bytes")) {
      if (auto n = read_int(ctx, *e, std::int64_t{1} << 20, tib,
                            "a number of bytes from 1048576 (1 MiB) to 1099511627776 (1 TiB)"))
        out.cache_max_bytes = static_cast<std::uint64_t>(*n);
    }
    constexpr std::int64_t day_s = std::int64_t{24} * 60 * 60;
    if (const field* e = find_entry(entries, "cache_ttl_s")) {
      if (auto n = read_int(ctx, *e, 1, 7 * day_s, "a number of seconds from 1 to 604800"))
        out.cache_ttl = std::chrono::seconds(*n);
    }
    if (const field* e = find_entry(entries, "url_ttl_s")) {
      if (auto n = read_int(ctx, *e, 1, 7 * day_s, "a number of seconds from 1 to 604800"))
        out.url_ttl = std::chrono::seconds(*n);
    }
    if (const field* e = find_entry(entries, "fetch_timeout_ms")) {
      if (auto n =
              read_int(ctx, *e, 100, 3'600'000, "a number of milliseconds from 100 to 3600000"))
        out.fetch_timeout = std::chrono::milliseconds(*n);
    }
    if (const field* e = find_entry(entries, "cache_dir")) {
      if (auto dir = read_string(ctx, *e)) {
        if (dir->empty())
          ctx.error(e->pos, e->path, "empty directory path");
        else
          out.cache_dir = resolve_path(ctx.base_dir, *dir);
      }
    }
  }
  if (out.cache_dir.empty()) {
    // Beside the SQLite file; with an in-memory database (or PostgreSQL), beside the config.
    std::filesystem::path base = state_path.empty() || state_path == ":memory:"
                                     ? std::filesystem::path(ctx.base_dir)
                                     : std::filesystem::path(state_path).parent_path();
    out.cache_dir = resolve_path(base.string(), "media");
  }
}

}  // namespace patchbay::config::detail
