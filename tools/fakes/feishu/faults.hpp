// patchbay-fake-feishu: count-based faults armed with POST /_fake/fault (refuse_discovery,
// refuse_handshake, pong_config, rate_limit, invalid_token). Each applies to one app, or to every
// app when armed without one, for `count` matching requests (-1: until /_fake/reset). The
// immediate kinds (drop, close, stall, disable_app, enable_app) act at once and are not stored.
//
// Not thread-safe (owned by fake_feishu).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace patchbay::fakes::feishu {

struct armed_fault {
  std::string kind;
  std::string app_id;          // "" = every app
  std::int64_t remaining = 1;  // -1 = until reset
  boost::json::object params;  // the whole request body
};

class fault_table {
 public:
  void arm(armed_fault f) { faults_.push_back(std::move(f)); }
  // The first fault of `kind` for `app_id` (or for every app); uses one of its count.
  std::optional<boost::json::object> take(std::string_view kind, std::string_view app_id);
  bool armed(std::string_view kind, std::string_view app_id) const;
  boost::json::array to_json() const;
  void clear() { faults_.clear(); }

 private:
  std::vector<armed_fault> faults_;
};

}  // namespace patchbay::fakes::feishu
