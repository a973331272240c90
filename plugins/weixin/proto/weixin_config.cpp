#include "weixin_config.hpp"

#include <boost/json.hpp>

#include "support/config_reader.hpp"

namespace patchbay::weixin {
namespace json = boost::json;
using namespace plugins::config_reader;
namespace {

constexpr std::string_view known_keys[] = {"bot_token",
                                           "base_url",
                                           "account_id",
                                           "user_id",
                                           "credentials",
                                           "longpolling_timeout_ms",
                                           "route_tag",
                                           "bot_agent",
                                           "app_id",
                                           "channel_version",
                                           "ca_file",
                                           "session_backoff_initial_ms",
                                           "session_backoff_max_ms",
                                           "retry_backoff_initial_ms",
                                           "retry_backoff_max_ms",
                                           "relogin_after_ms",
                                           "notify_start_timeout_ms",
                                           "notify_stop_timeout_ms",
                                           "send_timeout_ms",
                                           "connect_timeout_ms",
                                           "dedup_capacity",
                                           "context_token_capacity",
                                           "typing",
                                           "cdn_base_url",
                                           "media_timeout_ms",
                                           "max_media_bytes"};

}  // namespace

weixin_config parse_config(std::string_view json_text, std::string_view plugin_version) {
  const json::value root = parse_object(json_text, known_keys);
  const json::object& o = root.get_object();

  weixin_config c;
  // The login helper's file first; explicit keys override it.
  if (std::string creds = get_string(o, "credentials", ""); !creds.empty()) {
    json::error_code ec;
    json::value cv = json::parse(creds, ec);
    if (ec || !cv.is_object())
      fail(
          "credentials must be the JSON object written by `patchbay weixin-login` "
          "(e.g. \"${file:/path/weixin.json}\")");
    const json::object& co = cv.get_object();
    c.bot_token = get_string(co, "bot_token", "credentials.");
    c.base_url = get_string(co, "base_url", "credentials.");
    c.account_id = get_string(co, "account_id", "credentials.");
    c.user_id = get_string(co, "user_id", "credentials.");
  }
  if (auto v = get_string(o, "bot_token", ""); !v.empty()) c.bot_token = v;
  if (auto v = get_string(o, "base_url", ""); !v.empty()) c.base_url = v;
  if (auto v = get_string(o, "account_id", ""); !v.empty()) c.account_id = v;
  if (auto v = get_string(o, "user_id", ""); !v.empty()) c.user_id = v;

  c.bot_token = trim(c.bot_token);
  if (c.bot_token.empty())
    fail("bot_token is required (from `patchbay weixin-login`; set bot_token or credentials)");
  if (control_or_space(c.bot_token))
    fail("bot_token must not contain spaces or control characters");
  if (c.base_url.empty()) c.base_url = std::string(default_base_url);
  check_url(c.base_url, "base_url");
  c.base_url = normalize_base_url(c.base_url);
  if (control_or_space(c.account_id))
    fail("account_id must not contain spaces or control characters");

  c.ca_file = get_string(o, "ca_file", "");
  if (const json::value* rt = o.if_contains("route_tag"); rt && !rt->is_null()) {
    if (rt->is_string())
      c.identity.route_tag = std::string(rt->get_string());
    else if (rt->is_int64())
      c.identity.route_tag = std::to_string(rt->get_int64());
    else if (rt->is_uint64())
      c.identity.route_tag = std::to_string(rt->get_uint64());
    else
      fail("route_tag must be a string or an integer");
    if (control_or_space(c.identity.route_tag))
      fail("route_tag must not contain spaces or control characters");
  }
  c.identity.channel_version = get_string(o, "channel_version", "");
  if (c.identity.channel_version.empty()) c.identity.channel_version = std::string(plugin_version);
  c.identity.bot_agent = get_string(o, "bot_agent", "");
  if (c.identity.bot_agent.empty())
    c.identity.bot_agent = "patchbay/" + std::string(plugin_version);
  if (c.identity.bot_agent.size() > 256) fail("bot_agent must be at most 256 bytes");
  if (auto v = get_string(o, "app_id", ""); !v.empty()) c.identity.app_id = v;
  if (control_or_space(c.identity.app_id))
    fail("app_id must not contain spaces or control characters");

  using ms = std::chrono::milliseconds;
  constexpr int64_t day = 86'400'000;
  c.longpolling_timeout = ms(get_int(o, "longpolling_timeout_ms", 35'000, 1'000, 600'000));
  c.guard.session_initial = ms(get_int(o, "session_backoff_initial_ms", 5'000, 1, day));
  c.guard.session_max = ms(get_int(o, "session_backoff_max_ms", 300'000, 1, day));
  if (c.guard.session_max < c.guard.session_initial)
    fail("session_backoff_max_ms must not be below session_backoff_initial_ms");
  c.guard.retry_initial = ms(get_int(o, "retry_backoff_initial_ms", 2'000, 1, day));
  c.guard.retry_max = ms(get_int(o, "retry_backoff_max_ms", 30'000, 1, day));
  if (c.guard.retry_max < c.guard.retry_initial)
    fail("retry_backoff_max_ms must not be below retry_backoff_initial_ms");
  c.guard.relogin_after = ms(get_int(o, "relogin_after_ms", 600'000, 0, 30 * day));
  c.notify_start_timeout = ms(get_int(o, "notify_start_timeout_ms", 10'000, 100, 120'000));
  c.notify_stop_timeout = ms(get_int(o, "notify_stop_timeout_ms", 2'000, 100, 60'000));
  c.send_timeout = ms(get_int(o, "send_timeout_ms", 15'000, 100, 300'000));
  c.connect_timeout = ms(get_int(o, "connect_timeout_ms", 10'000, 100, 120'000));
  c.dedup_capacity = static_cast<std::size_t>(get_int(o, "dedup_capacity", 4096, 1, 1'000'000));
  c.context_token_capacity =
      static_cast<std::size_t>(get_int(o, "context_token_capacity", 1024, 1, 1'000'000));
  c.typing = get_bool(o, "typing", true);
  c.cdn_base_url = get_string(o, "cdn_base_url", "");
  if (c.cdn_base_url.empty()) c.cdn_base_url = std::string(default_cdn_base_url);
  check_url(c.cdn_base_url, "cdn_base_url");
  while (c.cdn_base_url.back() == '/') c.cdn_base_url.pop_back();
  c.media_timeout = ms(get_int(o, "media_timeout_ms", 120'000, 1'000, 1'800'000));
  c.max_media_bytes = static_cast<std::uint64_t>(
      get_int(o, "max_media_bytes", default_max_media_bytes, 1, default_max_media_bytes));
  return c;
}

}  // namespace patchbay::weixin
