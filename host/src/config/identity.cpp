// The `identity:` section (per-user identity bindings, host/src/identity/) and the channels'
// references to it. Secrets (state_secret) are read like every value: errors quote the text as
// written, never what ${...} made of it.
#include "config/detail.hpp"

#include <fstream>

namespace patchbay::config::detail {
namespace {

bool is_http_url(std::string_view s) {
  return (s.rfind("http://", 0) == 0 && s.size() > 7) ||
         (s.rfind("https://", 0) == 0 && s.size() > 8);
}

void read_url(context& ctx, const field& f, std::string& out) {
  auto s = read_scalar(ctx, f, "a string");
  if (!s) return;
  if (!is_http_url(s->value) || s->value.find_first_of(" \r\n\t") != std::string::npos) {
    ctx.error(f.pos, f.path, "expected an absolute http:// or https:// URL, got " + quote(*s));
    return;
  }
  out = std::move(s->value);
}

void read_nonempty(context& ctx, const field& f, std::string& out) {
  auto s = read_scalar(ctx, f, "a string");
  if (!s) return;
  if (s->value.empty()) {
    ctx.error(f.pos, f.path, "must not be empty");
    return;
  }
  out = std::move(s->value);
}

void read_nyxid(context& ctx, const field& f, nyxid_identity_config& out) {
  out.pos = f.pos;
  const auto entries = map_entries(
      ctx, f, "a map",
      {"base_url", "client_id", "redirect_uri", "scope", "state_secret", "ca_file", "timeout_ms"});
  require_keys(ctx, f, entries, {"base_url", "client_id", "redirect_uri", "state_secret"});
  if (const field* e = find_entry(entries, "base_url")) {
    read_url(ctx, *e, out.base_url);
    while (!out.base_url.empty() && out.base_url.back() == '/') out.base_url.pop_back();
  }
  if (const field* e = find_entry(entries, "client_id")) read_nonempty(ctx, *e, out.client_id);
  if (const field* e = find_entry(entries, "redirect_uri")) read_url(ctx, *e, out.redirect_uri);
  if (const field* e = find_entry(entries, "scope")) read_nonempty(ctx, *e, out.scope);
  if (const field* e = find_entry(entries, "state_secret")) {
    if (auto s = read_scalar(ctx, *e, "a string")) {
      // The length only: the value is a secret.
      if (s->value.size() < 16)
        ctx.error(e->pos, e->path, "too short: the HMAC key needs at least 16 bytes");
      else
        out.state_secret = std::move(s->value);
    }
  }
  if (const field* e = find_entry(entries, "ca_file")) {
    if (auto s = read_scalar(ctx, *e, "a string")) {
      std::string path = resolve_path(ctx.base_dir, s->value);
      if (s->value.empty() || !std::ifstream(path).good())
        ctx.error(e->pos, e->path, "cannot read the CA file " + quote(*s));
      else
        out.ca_file = std::move(path);
    }
  }
  if (const field* e = find_entry(entries, "timeout_ms")) {
    if (auto ms = read_int(ctx, *e, 100, 600'000, "a number of milliseconds from 100 to 600000"))
      out.timeout = std::chrono::milliseconds(*ms);
  }
}

}  // namespace

void read_identity(context& ctx, const field& f, identity_config& out) {
  const auto entries = map_entries(ctx, f, "a map of identity providers", {"nyxid"});
  if (const field* nyxid = find_entry(entries, "nyxid")) {
    nyxid_identity_config n;
    read_nyxid(ctx, *nyxid, n);
    out.nyxid = std::move(n);
  }
}

void check_channel_identities(context& ctx, const std::vector<channel_config>& channels,
                              const identity_config& identity) {
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const auto& ch = channels[i];
    if (ch.identity.empty()) continue;  // none, or already reported as unknown
    const std::string path = "channels[" + std::to_string(i) + "].identity";
    if (ch.identity == "nyxid" && !identity.nyxid)
      ctx.error(ch.identity_pos, path,
                "identity provider 'nyxid' is not configured (add identity: { nyxid: {...} })");
  }
}

}  // namespace patchbay::config::detail
