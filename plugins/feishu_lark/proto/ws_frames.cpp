#include "feishu_lark/proto/ws_frames.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "feishu_lark/proto/crypto.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {

// One integer key of a ClientConfig, checked against [lo, hi].
bool read_key(const json::object& o, std::string_view key, int64_t lo, int64_t hi, int32_t& out,
              std::string& error) {
  const json::value* v = o.if_contains(key);
  if (!v) {
    error = "ClientConfig lacks " + std::string(key);
    return false;
  }
  // Only JSON numbers count here: a string "120" is not what any SDK accepts.
  const auto n = v->is_number() ? json_util::as_int(*v) : std::nullopt;
  if (!n) {
    error = "ClientConfig " + std::string(key) + " is not an integer";
    return false;
  }
  if (*n < lo || *n > hi) {
    error = "ClientConfig " + std::string(key) + "=" + std::to_string(*n) + " is outside [" +
            std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return false;
  }
  out = static_cast<int32_t>(*n);
  return true;
}

}  // namespace

client_config_result client_config_from_json(const json::value& v, const client_config_bounds& b) {
  client_config_result r;
  const json::object* o = v.if_object();
  if (!o) {
    r.error = "ClientConfig is not an object";
    return r;
  }
  client_config c;
  if (read_key(*o, "PingInterval", b.min_ping_interval_s, b.max_ping_interval_s, c.ping_interval_s,
               r.error) &&
      read_key(*o, "ReconnectCount", INT32_MIN, INT32_MAX, c.reconnect_count, r.error) &&
      read_key(*o, "ReconnectInterval", b.min_reconnect_interval_s, b.max_reconnect_interval_s,
               c.reconnect_interval_s, r.error) &&
      read_key(*o, "ReconnectNonce", 0, b.max_reconnect_nonce_s, c.reconnect_nonce_s, r.error))
    r.config = c;
  return r;
}

client_config_result parse_client_config(std::string_view json_text,
                                         const client_config_bounds& b) {
  std::string error;
  const auto v = json_util::parse(json_text, &error);
  if (!v) return {std::nullopt, "ClientConfig: " + error};
  return client_config_from_json(*v, b);
}

std::string client_config_json(const client_config& c) {
  return json::serialize(json::object{{"PingInterval", c.ping_interval_s},
                                      {"ReconnectCount", c.reconnect_count},
                                      {"ReconnectInterval", c.reconnect_interval_s},
                                      {"ReconnectNonce", c.reconnect_nonce_s}});
}

pbbp2::frame make_ping(int32_t service_id) {
  pbbp2::frame f;
  f.service = service_id;
  f.method = pbbp2::method_control;
  pbbp2::add_header(f, pbbp2::header_key::type, pbbp2::frame_type::ping);
  return f;
}

pbbp2::frame make_pong(int32_t service_id, std::optional<std::string_view> config_json) {
  pbbp2::frame f;
  f.service = service_id;
  f.method = pbbp2::method_control;
  pbbp2::add_header(f, pbbp2::header_key::type, pbbp2::frame_type::pong);
  if (config_json) f.payload.emplace(*config_json);
  return f;
}

std::optional<pong_info> parse_pong(const pbbp2::frame& f, const client_config_bounds& bounds) {
  if (pbbp2::kind_of(f) != pbbp2::frame_kind::pong) return std::nullopt;
  pong_info p;
  if (!f.payload || f.payload->empty()) return p;
  client_config_result r = parse_client_config(*f.payload, bounds);
  p.config = r.config;
  p.error = std::move(r.error);
  return p;
}

data_disposition classify_data_frame(const pbbp2::frame& f) {
  return pbbp2::kind_of(f) == pbbp2::frame_kind::event ? data_disposition::process
                                                       : data_disposition::drop_without_ack;
}

std::string ack_payload(int code, std::optional<std::string_view> data_json) {
  json::object o;
  o["code"] = code;
  if (data_json) o["data"] = patchbay::common::base64_encode(*data_json);
  return json::serialize(o);
}

pbbp2::frame make_ack(const pbbp2::frame& received, int code, int64_t biz_rt_ms,
                      std::optional<std::string_view> data_json) {
  pbbp2::frame f = received;
  pbbp2::add_header(f, pbbp2::header_key::biz_rt, std::to_string(biz_rt_ms));
  f.payload = ack_payload(code, data_json);
  return f;
}

std::optional<ack_info> parse_ack_payload(std::string_view payload) {
  const auto v = json_util::parse(payload);
  const json::object* o = v ? v->if_object() : nullptr;
  if (!o) return std::nullopt;
  const json::value* c = o->if_contains("code");
  const auto code = c && c->is_number() ? json_util::as_int(*c) : std::nullopt;
  if (!code || *code < INT32_MIN || *code > INT32_MAX) return std::nullopt;
  ack_info a;
  a.code = static_cast<int>(*code);
  if (const json::value* d = o->if_contains("data"); d && d->is_string()) {
    auto decoded = patchbay::common::base64_decode(json_util::string_at(*o, "data"));
    if (!decoded) return std::nullopt;
    a.data_json = std::move(*decoded);
  }
  return a;
}

std::vector<pbbp2::frame> split_event(std::string_view payload, size_t parts,
                                      std::string_view message_id, std::string_view trace_id,
                                      int32_t service_id, uint64_t seq_id, uint64_t log_id) {
  parts = std::clamp<size_t>(parts, 1, std::max<size_t>(payload.size(), 1));
  std::vector<pbbp2::frame> out;
  out.reserve(parts);
  const size_t base = payload.size() / parts;
  const size_t extra = payload.size() % parts;
  size_t pos = 0;
  for (size_t i = 0; i < parts; ++i) {
    const size_t len = base + (i < extra ? 1 : 0);
    pbbp2::frame f;
    f.seq_id = seq_id;
    f.log_id = log_id;
    f.service = service_id;
    f.method = pbbp2::method_data;
    pbbp2::add_header(f, pbbp2::header_key::type, pbbp2::frame_type::event);
    pbbp2::add_header(f, pbbp2::header_key::message_id, message_id);
    pbbp2::add_header(f, pbbp2::header_key::sum, std::to_string(parts));
    pbbp2::add_header(f, pbbp2::header_key::seq, std::to_string(i));
    pbbp2::add_header(f, pbbp2::header_key::trace_id, trace_id);
    f.payload.emplace(payload.substr(pos, len));
    pos += len;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace patchbay::plugins::feishu_family
