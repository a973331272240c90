// Feishu/Lark family: the control and acknowledgement frames of the WebSocket long connection and
// the ClientConfig the server pushes (docs/protocols/feishu-lark.md §2.1, §2.5–2.7).
//
//   ping  client → server: method 0, SeqID 0, LogID 0, service = service_id, header type=ping,
//         no payload; right after open and then every PingInterval.
//   pong  server → client: method 0, header type=pong, optional payload = ClientConfig JSON.
//   ack   client → server: the received event frame (the fragment that completed it) echoed with
//         every field and header as received, plus header biz_rt (handler ms, decimal), and the
//         payload replaced by {"code":200} (or 500; optional "data" = base64 of a JSON callback
//         answer, e.g. for card.action.trigger).
//
// ClientConfig is validated before use (unlike every SDK): all four keys must be integers inside
// client_config_bounds, otherwise it is rejected with a reason and the caller keeps what it had.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "feishu_lark/proto/pbbp2.hpp"

namespace patchbay::plugins::feishu_family {

// Seconds, except reconnect_count (attempts; negative = unlimited). Defaults = the SDKs' defaults.
struct client_config {
  int32_t reconnect_count = -1;
  int32_t reconnect_interval_s = 120;
  int32_t reconnect_nonce_s = 30;  // upper bound of the jitter before the first reconnect
  int32_t ping_interval_s = 120;
  bool operator==(const client_config&) const = default;
};

// Sane ranges; a value outside them rejects the whole config (a 0 s ping interval would spin).
struct client_config_bounds {
  int32_t min_ping_interval_s = 1;
  int32_t max_ping_interval_s = 3600;
  int32_t min_reconnect_interval_s = 0;
  int32_t max_reconnect_interval_s = 86400;
  int32_t max_reconnect_nonce_s = 3600;
};

struct client_config_result {
  std::optional<client_config> config;  // set when valid
  std::string error;                    // why not, when not
};

client_config_result parse_client_config(std::string_view json_text,
                                         const client_config_bounds& bounds = {});
client_config_result client_config_from_json(const boost::json::value& v,
                                             const client_config_bounds& bounds = {});
// {"PingInterval":..,"ReconnectCount":..,"ReconnectInterval":..,"ReconnectNonce":..}
std::string client_config_json(const client_config& c);

// ---- control frames ----
pbbp2::frame make_ping(int32_t service_id);
// Server side (fakes, tests): a pong with an optional ClientConfig payload.
pbbp2::frame make_pong(int32_t service_id, std::optional<std::string_view> config_json = {});

// What a pong carried. nullopt when `f` is not a pong. An empty payload means "no config"
// (config and error both empty); an invalid one sets `error` and must not be applied.
struct pong_info {
  std::optional<client_config> config;
  std::string error;
};
std::optional<pong_info> parse_pong(const pbbp2::frame& f, const client_config_bounds& bounds = {});

// ---- data frames ----

// What to do with an inbound data frame (§2.6): `type=event` frames (which also carry callbacks
// such as card.action.trigger) are processed and acked; `type=card` and unknown types are dropped
// WITHOUT an ack, as every SDK does (the legacy card callback cannot use the long connection).
enum class data_disposition { process, drop_without_ack };
data_disposition classify_data_frame(const pbbp2::frame& f);

inline constexpr int ack_ok = 200;
inline constexpr int ack_failed = 500;

// {"code":<code>} or {"code":<code>,"data":"<base64 of data_json>"}.
std::string ack_payload(int code, std::optional<std::string_view> data_json = {});
// The ack for `received`: every field and header echoed, biz_rt appended, payload replaced.
pbbp2::frame make_ack(const pbbp2::frame& received, int code, int64_t biz_rt_ms,
                      std::optional<std::string_view> data_json = {});

// Server side (fakes, tests): an ack payload as any SDK sends it ({"code":200}, {"code": 200},
// {"code":200,"headers":null,"data":null}, {"code":200,"data":"<base64>"}). nullopt when the
// payload is not JSON with an integer code. `data_json` is the decoded "data" when present.
struct ack_info {
  int code = 0;
  std::optional<std::string> data_json;
};
std::optional<ack_info> parse_ack_payload(std::string_view payload);

// Server side (fakes, tests): an event payload as `parts` data frames (type=event, message_id,
// sum, seq, trace_id on every fragment, §2.10 item 5), split into non-empty slices. `parts` is
// clamped to [1, payload size]; an empty payload gives one frame.
std::vector<pbbp2::frame> split_event(std::string_view payload, size_t parts,
                                      std::string_view message_id, std::string_view trace_id,
                                      int32_t service_id, uint64_t seq_id, uint64_t log_id);

}  // namespace patchbay::plugins::feishu_family
