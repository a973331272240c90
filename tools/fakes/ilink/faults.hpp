// patchbay-fake-ilink: the fault table behind POST /_fake/fault.
//
// Count-based faults (fail_notifystart, duplicate_delivery, stall, drop_connection, send_ret,
// http_status, cdn_no_param) are armed here and consumed one use at a time by the request they
// match (kind, path, account; an empty account matches every account). The session faults
// (expire_session, expire_session_hard) are account states, kept by fake_ilink; parse_fault still
// validates them.
//
// Not thread-safe (owned by fake_ilink).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace patchbay::fakes::ilink {

enum class fault_kind {
  expire_session,
  expire_session_hard,
  fail_notifystart,
  duplicate_delivery,
  stall,
  drop_connection,
  send_ret,
  http_status,
  cdn_no_param,  // CDN upload: HTTP 200 without x-encrypted-param (default path /c2c/upload)
};

std::string_view to_string(fault_kind k);

struct fault {
  fault_kind kind = fault_kind::stall;
  std::string account;  // "" = every account
  std::string
      path;  // request path it applies to: "getupdates", "msg/notifystart", "/c2c/upload"...
  int remaining = 1;             // uses left; -1 = until /_fake/reset
  std::int64_t duration_ms = 0;  // stall: how long each matching request is held
  unsigned http_status = 0;    // http_status, fail_notifystart (0 = answer HTTP 200 with an error)
  std::optional<int> ret;      // send_ret / fail_notifystart: "ret" of the answer
  std::optional<int> errcode;  // send_ret / fail_notifystart: "errcode" of the answer
  std::string errmsg;
  std::string body;                // http_status: the answer's body
  bool empty_body = false;         // send_ret: HTTP 200 with an empty body
  bool with_ret = false;           // expire_session*: -14 answers also carry "ret":-14
  std::vector<std::string> paths;  // expire_session*: endpoints answering -14 (default per kind)
};

// Parses a /_fake/fault body. The account is taken as given (fake_ilink checks it exists).
std::variant<fault, std::string> parse_fault(const boost::json::object& body);
boost::json::object to_json(const fault& f);

// True when a fault's path names the request path: equal, or the request path ends with
// "/" + fault path ("getupdates" matches "/ilink/bot/getupdates").
bool path_matches(std::string_view fault_path, std::string_view request_path);

class fault_table {
 public:
  void arm(fault f);
  void clear() { faults_.clear(); }
  // Consumes one use of the first armed fault of `kind` matching the path and account.
  std::optional<fault> take(fault_kind kind, std::string_view request_path,
                            std::string_view account);
  // The same without a path check (duplicate_delivery, send_ret).
  std::optional<fault> take_any_path(fault_kind kind, std::string_view account);
  boost::json::array to_json() const;

 private:
  std::optional<fault> take_if(fault_kind kind, std::string_view account,
                               const std::string_view* path);
  std::vector<fault> faults_;
};

}  // namespace patchbay::fakes::ilink
