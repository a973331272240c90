// patchbay-fake-nyxid: the outbound proxy `ANY /api/v1/proxy/s/{slug}/{*path}`
// (docs/protocols/nyxid-relay.md §2.6, §5 "Proxy"): Lark im/v1/messages answered like Lark (send →
// {"code":0,"data":
// {"message_id":"om_…"}}, PUT/PATCH edits, reply), scriptable failures, and a record of every
// proxied request (successful or not) in arrival order.
//
// A rule matches on slug (case-insensitive; "" any), method, a path substring and
// receive_id_type, and answers `count` matching requests (-1: until reset) with either the Lark
// body {"code":C,"msg":M} at HTTP `http_status` (the proxy passes the platform's answer through),
// or NyxID's own 403 api_key_scope_forbidden/9000 envelope. Presets: cross_tenant (400 99992364
// "user id cross tenant"), cross_app (400 99992361 "open_id cross app"), bot_not_in_chat (400
// 230002), scope_forbidden (403 9000). Rules are tried in the order armed.
//
// Not thread-safe (owned by fake_nyxid).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ids.hpp"

namespace patchbay::fakes::nyxid {

struct proxy_rule {
  std::string slug;
  std::string method;
  std::string path_contains;
  std::string receive_id_type;
  int count = 1;
  unsigned http_status = 400;
  std::int64_t lark_code = 0;
  std::string msg;
  bool scope_forbidden = false;
};

// Parses a rule from the control API (preset, slug, method, path, receive_id_type, count,
// http_status, code, msg); nullopt with `error` set when malformed.
std::optional<proxy_rule> parse_proxy_rule(const boost::json::object& o, std::string& error);

struct proxy_request {
  std::string method;
  std::string slug;
  std::string path;  // after the slug, with its leading '/'
  std::string query;
  std::string body;
  std::string credential;  // api_key / access_token / user_token
};

struct proxy_answer {
  unsigned status = 200;
  boost::json::object body;
};

class proxy_script {
 public:
  explicit proxy_script(id_source& ids) : ids_(ids) {}

  void arm(proxy_rule r) { rules_.push_back(std::move(r)); }
  boost::json::array rules_json() const;
  proxy_answer handle(const proxy_request& req, std::int64_t now_ms);
  boost::json::array sent_json() const;
  void reset();
  std::size_t max_records = 10'000;

 private:
  struct record {
    std::uint64_t seq = 0;
    std::int64_t time_ms = 0;
    proxy_request req;
    std::string receive_id_type, receive_id, msg_type, content, text, target_message_id;
    unsigned status = 0;
    std::int64_t code = 0;
    std::string message_id;
    std::string error;  // NyxID envelope error, if any
  };
  std::optional<proxy_rule> take_rule(const proxy_request& req, std::string_view receive_id_type);

  id_source& ids_;
  std::vector<proxy_rule> rules_;
  std::deque<record> records_;
  std::uint64_t seq_ = 0;
};

}  // namespace patchbay::fakes::nyxid
