// Feishu/Lark family: parsing and validating a channel's `config:` block (channel_config.hpp).
// Error texts name keys and expectations, never values.
#include "feishu_lark/proto/channel_config.hpp"

#include <boost/json.hpp>

#include "feishu_lark/proto/brand.hpp"
#include "support/config_reader.hpp"

namespace patchbay::plugins::feishu_family {
namespace json = boost::json;
using namespace plugins::config_reader;

namespace {

constexpr std::string_view known_keys[] = {"app_id",
                                           "app_secret",
                                           "domain",
                                           "mode",
                                           "ca_file",
                                           "encrypt_key",
                                           "verification_token",
                                           "webhook_max_skew_s",
                                           "group_require_mention",
                                           "typing_reaction",
                                           "dedup_ttl_ms",
                                           "dedup_capacity",
                                           "reconnect_initial_ms",
                                           "reconnect_factor",
                                           "reconnect_max_ms",
                                           "reconnect_jitter",
                                           "stable_after_ms",
                                           "fatal_retry_ms",
                                           "liveness_margin_ms",
                                           "fragment_timeout_ms",
                                           "connect_timeout_ms",
                                           "handshake_timeout_ms",
                                           "api_timeout_ms",
                                           "rate_app_per_minute",
                                           "rate_app_burst",
                                           "rate_chat_per_second",
                                           "rate_chat_burst",
                                           "render",
                                           "card_states"};

constexpr int64_t day_ms = 86'400'000;

std::chrono::milliseconds ms(int64_t v) { return std::chrono::milliseconds(v); }

}  // namespace

const char* to_string(transport_mode m) {
  return m == transport_mode::webhook ? "webhook" : "websocket";
}

channel_config parse_channel_config(std::string_view json_text, const brand_defaults& brand) {
  const json::value root = parse_object(json_text, known_keys);
  const json::object& o = root.get_object();

  channel_config c;
  c.platform = std::string(brand.platform);

  c.app_id = trim(get_string(o, "app_id"));
  if (c.app_id.empty()) fail("app_id is required (the app's \"cli_...\" id from the console)");
  if (!valid_app_id(c.app_id)) fail("app_id must be \"cli_\" followed by 16 hex digits");
  c.app_secret = trim(get_string(o, "app_secret"));
  if (c.app_secret.empty()) fail("app_secret is required");
  if (control_or_space(c.app_secret))
    fail("app_secret must not contain spaces or control characters");

  std::string domain = trim(get_string(o, "domain"));
  if (domain.empty()) domain = std::string(brand.domain);
  c.domain = resolve_domain(domain);
  check_url(c.domain, "domain (\"feishu\", \"lark\" or a base URL)");
  if (c.domain.find('?') != std::string::npos || c.domain.find('#') != std::string::npos)
    fail("domain must be a base URL without query or fragment");

  c.mode = brand.mode;
  if (std::string mode = get_string(o, "mode"); !mode.empty()) {
    if (mode == "websocket")
      c.mode = transport_mode::websocket;
    else if (mode == "webhook")
      c.mode = transport_mode::webhook;
    else
      fail("mode must be \"websocket\" or \"webhook\"");
  }
  c.ca_file = get_string(o, "ca_file");

  c.webhook.encrypt_key = get_string(o, "encrypt_key");
  c.webhook.verification_token = get_string(o, "verification_token");
  c.webhook.max_skew_s = get_int(o, "webhook_max_skew_s", 300, 0, 86'400);
  if (c.mode == transport_mode::webhook && c.webhook.encrypt_key.empty() &&
      c.webhook.verification_token.empty())
    fail(
        "webhook mode needs encrypt_key or verification_token (both from the console's event "
        "subscription page): without them anyone could post events");

  c.group_require_mention = get_bool(o, "group_require_mention", true);
  c.typing_reaction = get_bool(o, "typing_reaction", true);
  c.dedup_ttl = ms(get_int(o, "dedup_ttl_ms", 12 * 3'600'000LL, 1'000, 7 * day_ms));
  c.dedup_capacity = static_cast<std::size_t>(get_int(o, "dedup_capacity", 10'000, 1, 1'000'000));

  c.reconnect.initial = ms(get_int(o, "reconnect_initial_ms", 2'000, 1, day_ms));
  c.reconnect.factor = get_number(o, "reconnect_factor", 1.8, 1.0, 10.0);
  c.reconnect.cap = ms(get_int(o, "reconnect_max_ms", 60'000, 1, day_ms));
  if (c.reconnect.cap < c.reconnect.initial)
    fail("reconnect_max_ms must not be below reconnect_initial_ms");
  c.reconnect.jitter = get_number(o, "reconnect_jitter", 0.2, 0.0, 1.0);
  c.stable_after = ms(get_int(o, "stable_after_ms", 30'000, 1, day_ms));
  c.fatal_retry = ms(get_int(o, "fatal_retry_ms", 300'000, 1, day_ms));
  c.liveness_margin = ms(get_int(o, "liveness_margin_ms", 15'000, 1, 600'000));
  c.fragment_timeout = ms(get_int(o, "fragment_timeout_ms", 10'000, 1, 600'000));
  c.connect_timeout = ms(get_int(o, "connect_timeout_ms", 10'000, 1, 120'000));
  c.handshake_timeout = ms(get_int(o, "handshake_timeout_ms", 10'000, 1, 120'000));
  c.api_timeout = ms(get_int(o, "api_timeout_ms", 15'000, 1, 300'000));

  const int64_t app_per_minute = get_int(o, "rate_app_per_minute", 1000, 1, 1'000'000);
  c.limits.app.rate_per_s = static_cast<double>(app_per_minute) / 60.0;
  c.limits.app.burst = static_cast<double>(get_int(o, "rate_app_burst", 50, 1, 100'000));
  c.limits.chat.rate_per_s = get_number(o, "rate_chat_per_second", 4.0, 0.01, 10'000.0);
  c.limits.chat.burst = static_cast<double>(get_int(o, "rate_chat_burst", 4, 1, 100'000));
  if (std::string render = get_string(o, "render"); !render.empty()) {
    if (render == "card")
      c.render = render_mode::card;
    else if (render == "text")
      c.render = render_mode::text;
    else
      fail("render must be \"card\" or \"text\"");
  }
  c.card_states = static_cast<std::size_t>(get_int(o, "card_states", 1024, 1, 1'000'000));
  return c;
}

}  // namespace patchbay::plugins::feishu_family
