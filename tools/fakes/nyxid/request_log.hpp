// patchbay-fake-nyxid: every request to the fake's API (relay, proxy, OAuth, discovery), in
// arrival order, for GET /_fake/requests — and the callback deliveries of the inbound driver,
// for GET /_fake/callbacks. No token value is ever recorded: Authorization and the X-NyxID-*
// token headers become "***" (the record says which kind of credential it was and, for a reply
// token, its jti), and the OAuth form fields code, code_verifier, access_token, refresh_token
// are masked. Bounded: the oldest entries go first.
//
// Not thread-safe (owned by fake_nyxid).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>

#include "bounded_log.hpp"
#include "patchbay/kit/http_types.hpp"

namespace patchbay::fakes::nyxid {

struct request_record {
  std::int64_t time_ms = 0;
  std::string method, path, query, endpoint;
  boost::json::object headers;
  boost::json::value body;
  std::string credential;  // reply_token / api_key / access_token / user_token / other / none
  std::string jti;         // of a reply token
  std::string fault;       // the fault kind applied, if any
  unsigned status = 0;
  std::string error;  // envelope or OAuth "error" of the answer
  std::string message;
};

class request_log {
 public:
  // Records the request; returns its seq.
  std::uint64_t add(const kit::http_request& req, std::string endpoint, std::int64_t time_ms);
  request_record* find(std::uint64_t seq) { return entries_.find(seq); }
  void answered(std::uint64_t seq, unsigned status, const boost::json::object* body);
  boost::json::array to_json(std::string_view endpoint_filter) const;
  void clear() { entries_.clear(); }
  std::size_t max_entries = 10'000;

 private:
  common::bounded_log<request_record> entries_{max_entries};
};

}  // namespace patchbay::fakes::nyxid
