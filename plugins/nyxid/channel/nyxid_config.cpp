#include "nyxid_config.hpp"

#include <boost/json/parse.hpp>

#include <cctype>

#include "support/config_reader.hpp"

namespace patchbay::plugins::nyxid {
namespace json = boost::json;
namespace cr = config_reader;

namespace {

constexpr std::string_view known_keys[] = {"base_url",
                                           "api_key",
                                           "proxy_api_key",
                                           "proxy_slug",
                                           "issuer",
                                           "audience",
                                           "api_key_id",
                                           "ca_file",
                                           "connect_timeout_ms",
                                           "request_timeout_ms",
                                           "keys_timeout_ms",
                                           "jwks_refetch_interval_ms",
                                           "key_refresh_ms",
                                           "replay_window_ms",
                                           "replay_capacity",
                                           "spent_token_capacity",
                                           "pending_callbacks",
                                           "timestamp_max_age_ms",
                                           "require_timestamp",
                                           "fallback_receive_id_type",
                                           "trust_route_private"};

// A credential: non-empty strings may not contain blanks or control characters (they go into an
// Authorization header).
std::string secret(const json::object& o, std::string_view key) {
  std::string v = cr::trim(cr::get_string(o, key));
  if (cr::control_or_space(v)) cr::fail(std::string(key) + " must not contain spaces");
  return v;
}

}  // namespace

nyxid_config parse_config(std::string_view text) {
  const json::value v = cr::parse_object(text, known_keys);
  const json::object& o = v.get_object();

  nyxid_config c;
  c.base_url = cr::trim(cr::get_string(o, "base_url"));
  if (c.base_url.empty())
    cr::fail("base_url is required (NyxID's API root, e.g. https://nyx.example)");
  cr::check_url(c.base_url, "base_url");
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  c.api_key = secret(o, "api_key");
  c.proxy_api_key = secret(o, "proxy_api_key");
  c.proxy_slug = cr::trim(cr::get_string(o, "proxy_slug"));
  for (char ch : c.proxy_slug)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.'))
      cr::fail("proxy_slug may hold only letters, digits, '-', '_' and '.'");
  if (c.proxy_slug.empty() != c.proxy_api_key.empty())
    cr::fail("proxy_slug and proxy_api_key go together (proactive sends need both)");
  c.issuer = cr::trim(cr::get_string(o, "issuer"));
  if (o.contains("audience")) c.audience = cr::trim(cr::get_string(o, "audience"));
  if (c.audience.empty()) cr::fail("audience must not be empty");
  c.api_key_id = cr::trim(cr::get_string(o, "api_key_id"));
  c.ca_file = cr::trim(cr::get_string(o, "ca_file"));
  c.connect_timeout =
      std::chrono::milliseconds(cr::get_int(o, "connect_timeout_ms", 5'000, 100, 60'000));
  c.request_timeout =
      std::chrono::milliseconds(cr::get_int(o, "request_timeout_ms", 15'000, 200, 120'000));
  // The host answers a callback itself after 10 s: a key fetch (discovery + JWKS) must end before.
  c.keys_timeout = std::chrono::milliseconds(cr::get_int(o, "keys_timeout_ms", 4'000, 100, 4'500));
  c.jwks_refetch_interval_ms = cr::get_int(o, "jwks_refetch_interval_ms", 10'000, 1'000, 300'000);
  // Keys are cached 300 s (jwks_cache): refreshed before that, so no callback waits for them.
  c.key_refresh =
      std::chrono::milliseconds(cr::get_int(o, "key_refresh_ms", 240'000, 200, 280'000));
  c.replay_window_ms = cr::get_int(o, "replay_window_ms", 360'000, 300'000, 3'600'000);
  c.replay_capacity =
      static_cast<size_t>(cr::get_int(o, "replay_capacity", 100'000, 100, 10'000'000));
  c.spent_token_capacity =
      static_cast<size_t>(cr::get_int(o, "spent_token_capacity", 4'096, 16, 1'000'000));
  c.pending_callbacks = static_cast<size_t>(cr::get_int(o, "pending_callbacks", 64, 1, 4'096));
  c.timestamp_max_age_ms = cr::get_int(o, "timestamp_max_age_ms", 300'000, 10'000, 3'600'000);
  c.require_timestamp = cr::get_bool(o, "require_timestamp", true);
  if (o.contains("fallback_receive_id_type"))
    c.fallback_receive_id_type = cr::trim(cr::get_string(o, "fallback_receive_id_type"));
  if (c.fallback_receive_id_type != "union_id" && c.fallback_receive_id_type != "open_id" &&
      c.fallback_receive_id_type != "chat_id" && c.fallback_receive_id_type != "user_id" &&
      c.fallback_receive_id_type != "email")
    cr::fail("fallback_receive_id_type must be union_id, open_id, chat_id, user_id or email");
  c.trust_route_private = cr::get_bool(o, "trust_route_private", false);
  return c;
}

}  // namespace patchbay::plugins::nyxid
