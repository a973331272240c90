// A channel's `access:`, `limits:` and `late:` blocks (access_config, limits_config, late_config):
// who may talk to the bot, inbound rate limits, late messages. docs/architecture.md "Access
// control" describes what they mean.
#include "config/detail.hpp"

namespace patchbay::config::detail {
namespace {

constexpr std::int64_t max_seconds = std::int64_t{30} * 24 * 60 * 60;  // 30 days

void read_groups(context& ctx, const field& f, group_access_config& out) {
  const auto entries = map_entries(ctx, f, "a map", {"allow", "require_mention", "mention_all"});
  if (const field* allow = find_entry(entries, "allow"))
    out.allow = read_string_list(ctx, *allow, "conversation id", "a list of conversation ids");
  if (const field* req = find_entry(entries, "require_mention")) {
    if (auto v = read_bool(ctx, *req)) out.require_mention = *v;
  }
  if (const field* all = find_entry(entries, "mention_all")) {
    if (auto v = read_bool(ctx, *all)) out.mention_all = *v;
  }
}

void read_pairing(context& ctx, const field& f, pairing_config& out) {
  const auto entries = map_entries(ctx, f, "a map", {"code_ttl_s", "max_pending"});
  if (const field* ttl = find_entry(entries, "code_ttl_s")) {
    if (auto s = read_int(ctx, *ttl, 60, max_seconds, "a number of seconds from 60 to 2592000"))
      out.code_ttl = std::chrono::seconds(*s);
  }
  if (const field* max = find_entry(entries, "max_pending")) {
    if (auto n = read_int(ctx, *max, 1, 100000, "a number from 1 to 100000"))
      out.max_pending = static_cast<std::size_t>(*n);
  }
}

void read_bucket(context& ctx, const field& f, bucket_config& out) {
  const auto entries = map_entries(ctx, f, "a map", {"per_minute", "burst"});
  if (const field* rate = find_entry(entries, "per_minute")) {
    if (auto n = read_int(ctx, *rate, 0, 1000000, "a number from 0 (no limit) to 1000000"))
      out.per_minute = static_cast<double>(*n);
  }
  if (const field* burst = find_entry(entries, "burst")) {
    if (auto n = read_int(ctx, *burst, 1, 1000000, "a number from 1 to 1000000"))
      out.burst = static_cast<double>(*n);
  }
}

}  // namespace

void read_channel_access(context& ctx, const field& f, access_config& out) {
  const auto entries = map_entries(ctx, f, "a map", {"dm", "allow", "deny", "groups", "pairing"});
  if (const field* dm = find_entry(entries, "dm")) {
    if (auto v = read_choice(ctx, *dm, "DM policy", {"allowlist", "pairing", "open", "disabled"})) {
      if (*v == "pairing")
        out.dm = dm_policy::pairing;
      else if (*v == "open")
        out.dm = dm_policy::open;
      else if (*v == "disabled")
        out.dm = dm_policy::disabled;
      else
        out.dm = dm_policy::allowlist;
    }
  }
  if (const field* allow = find_entry(entries, "allow"))
    out.allow = read_string_list(ctx, *allow, "sender id", "a list of sender ids");
  if (const field* deny = find_entry(entries, "deny")) {
    out.deny = read_string_list(ctx, *deny, "sender id", "a list of sender ids");
  }
  if (const field* groups = find_entry(entries, "groups")) read_groups(ctx, *groups, out.groups);
  if (const field* pairing = find_entry(entries, "pairing"))
    read_pairing(ctx, *pairing, out.pairing);
}

void read_channel_limits(context& ctx, const field& f, limits_config& out) {
  const auto entries =
      map_entries(ctx, f, "a map", {"per_sender", "per_channel", "over_limit", "queue_max"});
  if (const field* s = find_entry(entries, "per_sender")) read_bucket(ctx, *s, out.per_sender);
  if (const field* c = find_entry(entries, "per_channel")) read_bucket(ctx, *c, out.per_channel);
  if (const field* mode = find_entry(entries, "over_limit")) {
    if (auto v = read_choice(ctx, *mode, "over-limit mode", {"notice", "queue"}))
      out.over_limit = *v == "queue" ? over_limit_mode::queue : over_limit_mode::notice;
  }
  if (const field* max = find_entry(entries, "queue_max")) {
    if (auto n = read_int(ctx, *max, 1, 10000, "a number from 1 to 10000"))
      out.queue_max = static_cast<std::size_t>(*n);
  }
}

void read_channel_late(context& ctx, const field& f, late_config& out) {
  const auto entries = map_entries(ctx, f, "a map", {"after_s", "answer"});
  if (const field* after = find_entry(entries, "after_s")) {
    if (auto s = read_int(ctx, *after, 0, max_seconds, "a number of seconds (0: never late)"))
      out.after = std::chrono::seconds(*s);
  }
  if (const field* answer = find_entry(entries, "answer")) {
    if (auto v = read_bool(ctx, *answer)) out.answer = *v;
  }
}

}  // namespace patchbay::config::detail
