#include "settings.hpp"

#include <boost/json/array.hpp>

namespace patchbay::fakes::feishu {

namespace json = boost::json;

namespace {

bool int_in(const json::value& v, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (!v.is_int64() && !v.is_uint64()) return false;
  if (v.is_uint64() && v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return false;
  out = v.is_int64() ? v.get_int64() : static_cast<std::int64_t>(v.get_uint64());
  return out >= lo && out <= hi;
}

}  // namespace

std::string apply_settings(settings& s, const json::object& body) {
  settings n = s;
  std::int64_t x = 0;
  for (const auto& [k, v] : body) {
    if (k == "ack_timeout_ms") {
      if (!int_in(v, 1, 86'400'000, x)) return "ack_timeout_ms must be in [1, 86400000]";
      n.ack_timeout_ms = x;
    } else if (k == "repush_ms") {
      if (!v.is_array() || v.get_array().size() > 16) return "repush_ms must be an array (<= 16)";
      std::vector<std::int64_t> list;
      for (const auto& e : v.get_array()) {
        if (!int_in(e, 0, 86'400'000, x)) return "repush_ms entries must be in [0, 86400000]";
        list.push_back(x);
      }
      n.repush_ms = std::make_shared<const std::vector<std::int64_t>>(std::move(list));
    } else if (k == "ping_interval_s") {
      if (!int_in(v, 0, 86'400, x)) return "ping_interval_s must be in [0, 86400]";
      n.ping_interval_s = static_cast<std::int32_t>(x);
    } else if (k == "reconnect_interval_s") {
      if (!int_in(v, 0, 86'400, x)) return "reconnect_interval_s must be in [0, 86400]";
      n.reconnect_interval_s = static_cast<std::int32_t>(x);
    } else if (k == "reconnect_nonce_s") {
      if (!int_in(v, 0, 86'400, x)) return "reconnect_nonce_s must be in [0, 86400]";
      n.reconnect_nonce_s = static_cast<std::int32_t>(x);
    } else if (k == "reconnect_count") {
      if (!int_in(v, -1, 1'000'000, x)) return "reconnect_count must be in [-1, 1000000]";
      n.reconnect_count = static_cast<std::int32_t>(x);
    } else if (k == "pong_with_config") {
      if (!v.is_bool()) return "pong_with_config must be a bool";
      n.pong_with_config = v.get_bool();
    } else if (k == "edit_cap") {
      if (!int_in(v, 0, 1'000'000, x)) return "edit_cap must be in [0, 1000000]";
      n.edit_cap = static_cast<int>(x);
    } else if (k == "card_streaming_timeout_ms") {
      if (!int_in(v, 1, 86'400'000, x)) return "card_streaming_timeout_ms must be in [1, 86400000]";
      n.card_streaming_timeout_ms = x;
    } else if (k == "card_rate_per_s") {
      if (!int_in(v, 1, 1'000'000, x)) return "card_rate_per_s must be in [1, 1000000]";
      n.card_rate_per_s = static_cast<int>(x);
    } else if (k == "max_connections_per_app") {
      if (!int_in(v, 1, 100'000, x)) return "max_connections_per_app must be in [1, 100000]";
      n.max_connections_per_app = static_cast<std::size_t>(x);
    } else if (k == "queue_limit") {
      if (!int_in(v, 1, 1'000'000, x)) return "queue_limit must be in [1, 1000000]";
      n.queue_limit = static_cast<std::size_t>(x);
    } else if (k == "bad_credentials_code") {
      if (!int_in(v, INT64_MIN, INT64_MAX, x)) return "bad_credentials_code must be an integer";
      n.bad_credentials_code = x;
    } else if (k == "disabled_app_code") {
      if (!int_in(v, INT64_MIN, INT64_MAX, x)) return "disabled_app_code must be an integer";
      n.disabled_app_code = x;
    } else {
      return "unknown knob '" + std::string(k) + "'";
    }
  }
  s = std::move(n);
  return {};
}

json::object settings_json(const settings& s) {
  json::array rp;
  for (const auto v : *s.repush_ms) rp.push_back(v);
  return json::object{{"ack_timeout_ms", s.ack_timeout_ms},
                      {"repush_ms", std::move(rp)},
                      {"ping_interval_s", s.ping_interval_s},
                      {"reconnect_interval_s", s.reconnect_interval_s},
                      {"reconnect_nonce_s", s.reconnect_nonce_s},
                      {"reconnect_count", s.reconnect_count},
                      {"pong_with_config", s.pong_with_config},
                      {"edit_cap", s.edit_cap},
                      {"card_streaming_timeout_ms", s.card_streaming_timeout_ms},
                      {"card_rate_per_s", s.card_rate_per_s},
                      {"max_connections_per_app", s.max_connections_per_app},
                      {"queue_limit", s.queue_limit},
                      {"bad_credentials_code", s.bad_credentials_code},
                      {"disabled_app_code", s.disabled_app_code}};
}

}  // namespace patchbay::fakes::feishu
