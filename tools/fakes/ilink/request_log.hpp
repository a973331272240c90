// patchbay-fake-ilink: every iLink API and CDN request, in arrival order, for GET /_fake/requests.
// An entry is added when the request arrives and completed when it is answered (a long poll is
// answered later), dropped, or left open while it is held. Bounded: the oldest entries go first.
// The Authorization header is recorded as "Bearer ***" (the account field says whose token it was).
//
// Not thread-safe (owned by fake_ilink).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "bounded_log.hpp"
#include "patchbay/kit/http_types.hpp"

namespace patchbay::fakes::ilink {

struct request_record {
  std::int64_t time_ms = 0;
  std::string method;
  std::string path;
  std::string query;
  std::string account;  // "" when the token was missing or unknown
  boost::json::object headers;
  boost::json::value
      body;  // parsed JSON (up to 64 KiB), else the text cut at 16 KiB; CDN: "<N bytes>"
  // Set when answered:
  bool answered = false;
  bool dropped = false;
  unsigned status = 0;
  std::optional<std::int64_t> errcode;  // "errcode" of the answer, else a non-zero "ret"
  std::optional<std::int64_t> msgs;     // getupdates: number of messages returned
};

class request_log {
 public:
  // Records the request; returns its id.
  std::uint64_t add(const kit::http_request& req, std::int64_t time_ms, std::size_t max_entries);
  void set_account(std::uint64_t id, const std::string& account);
  void answered(std::uint64_t id, unsigned status, const boost::json::object* answer);
  void dropped(std::uint64_t id);
  boost::json::array to_json(const std::string& account_filter) const;
  void clear() { entries_.clear(); }

 private:
  common::bounded_log<request_record> entries_{1};  // ids contiguous, oldest first
};

}  // namespace patchbay::fakes::ilink
