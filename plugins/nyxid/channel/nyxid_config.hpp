// The NyxID channel's `config:` block (a JSON object from the host), validated at create.
//
//   base_url           required; NyxID's API root (http:// only for tests on loopback)
//   api_key            agent key (nyxid_ag_…), optional: replies without a reply token, edits
//   proxy_api_key      proxy-scoped key, optional: proactive sends through the proxy
//   proxy_slug         the proxy service slug (e.g. api-lark-bot), with proxy_api_key
//   issuer             expected JWT `iss` ("" = the one the OIDC discovery document names)
//   audience           default "channel-relay/callback"
//   api_key_id         optional pin: callbacks for another agent key are refused
//   ca_file            PEM bundle to trust instead of the system store (tests)
//   connect_timeout_ms, request_timeout_ms (/reply, /reply/update, proxy), keys_timeout_ms
//                      (OIDC + JWKS, kept below the host's 10 s answer deadline)
//   jwks_refetch_interval_ms (unknown kid: at most one JWKS refetch per interval, default 10 s),
//   key_refresh_ms     how often the signing keys are fetched again (default 240 s, below the
//                      keys' 300 s cache life); also the channel's heartbeat: its liveness window
//                      is 2 x key_refresh_ms + keys_timeout_ms
//   replay_window_ms, replay_capacity, spent_token_capacity, pending_callbacks (waiting for a
//                      JWKS refetch), timestamp_max_age_ms, require_timestamp
//   fallback_receive_id_type  the type a `230002 bot not in chat` retry uses for the fallback id
//                      (default union_id; see proxy_target.hpp)
//   trust_route_private  treat conversation.type "private" as a DM when raw data says nothing
// Errors name the key and what was expected, never the value (config_reader). Pure.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace patchbay::plugins::nyxid {

struct nyxid_config {
  std::string base_url;
  std::string api_key;        // SECRET
  std::string proxy_api_key;  // SECRET
  std::string proxy_slug;
  std::string issuer;
  std::string audience = "channel-relay/callback";
  std::string api_key_id;
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{15'000};
  std::chrono::milliseconds keys_timeout{4'000};
  int64_t jwks_refetch_interval_ms = 10'000;       // unknown kid: at most one refetch per interval
  std::chrono::milliseconds key_refresh{240'000};  // keys fetched again (cached 300 s)
  int64_t replay_window_ms = 360'000;
  size_t replay_capacity = 100'000;
  size_t spent_token_capacity = 4'096;
  size_t pending_callbacks = 64;
  int64_t timestamp_max_age_ms = 300'000;
  bool require_timestamp = true;
  std::string fallback_receive_id_type = "union_id";
  bool trust_route_private = false;

  bool has_proxy() const { return !proxy_api_key.empty() && !proxy_slug.empty(); }
};

// Throws std::invalid_argument (key named, value never) on any problem.
nyxid_config parse_config(std::string_view json);

}  // namespace patchbay::plugins::nyxid
