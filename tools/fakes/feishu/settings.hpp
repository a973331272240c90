// patchbay-fake-feishu: the knobs (POST /_fake/config, command line), with the platform's values
// as defaults: ack deadline 3 s and re-pushes after 15 s, 5 min, 1 h and 6 h (§2.8), the SDKs'
// default ClientConfig (§2.1), 20 edits per message, 50 connections per app.
//
// Plain data; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace patchbay::fakes::feishu {

struct settings {
  std::int64_t ack_timeout_ms = 3000;
  std::shared_ptr<const std::vector<std::int64_t>> repush_ms =
      std::make_shared<const std::vector<std::int64_t>>(
          std::vector<std::int64_t>{15'000, 300'000, 3'600'000, 21'600'000});
  std::int32_t ping_interval_s = 120;
  std::int32_t reconnect_interval_s = 120;
  std::int32_t reconnect_nonce_s = 30;
  std::int32_t reconnect_count = -1;
  bool pong_with_config = true;  // every pong carries the ClientConfig (node-sdk needs one)
  int edit_cap = 20;
  // CardKit (§3.8): streaming mode ends this long after it was turned on (the platform's 10 min;
  // tests scale it down); content/settings updates per card in any second.
  std::int64_t card_streaming_timeout_ms = 600'000;
  int card_rate_per_s = 10;
  std::size_t max_connections_per_app = 50;
  std::size_t queue_limit = 10'000;                // events waiting for a connection, per app
  std::int64_t bad_credentials_code = 1000040345;  // discovery with a wrong AppSecret
  std::int64_t disabled_app_code = 403;            // discovery of a disabled app
};

// Applies the keys of `body` that are knobs; "" or what is wrong (nothing applied then).
std::string apply_settings(settings& s, const boost::json::object& body);
boost::json::object settings_json(const settings& s);

}  // namespace patchbay::fakes::feishu
