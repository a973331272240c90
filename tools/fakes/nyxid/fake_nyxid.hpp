// patchbay-fake-nyxid: the whole fake NyxID as a state machine without I/O.
//
// handle() takes one HTTP request — OIDC discovery and JWKS, the relay's /reply and
// /reply/update, the proxy, the OAuth broker, or the /_fake/ control API — and says what to do:
// answer now, answer after a delay (a fault: slower than the client's timeout), drop the
// connection, or deliver a callback (the inbound driver: POST `delivery` to the bot, then call
// delivered() with the outcome to get the control API's answer). The network glue (server.cpp)
// owns the exchanges, timers and HTTP client; this class owns everything else.
//
// Contract and knobs: tools/fakes/README.md (## nyxid). Protocol: docs/protocols/nyxid-relay.md.
// Thread safety: none; the caller serializes every call (server.cpp holds one mutex).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "callback_builder.hpp"
#include "ids.hpp"
#include "key_store.hpp"
#include "oauth_broker.hpp"
#include "patchbay/kit/http_types.hpp"
#include "proxy_script.hpp"
#include "relay_ledger.hpp"
#include "request_log.hpp"

namespace patchbay::fakes::nyxid {

struct action {
  enum class kind { respond, delay, drop, deliver };
  kind what = kind::respond;
  kit::http_response response;  // respond, delay
  std::int64_t delay_ms = 0;    // delay
  std::uint64_t ticket = 0;     // deliver
  delivery callback;            // deliver
  std::int64_t timeout_ms = 0;  // deliver: the callback POST's total deadline
};

struct fault {
  std::string kind;  // status, delay, drop, platform_error
  std::string
      endpoint;   // reply, reply_update, token, authorize, revoke, jwks, discovery, proxy, any
  int count = 1;  // -1: until reset
  unsigned status = 0;
  std::int64_t ms = 0;
  std::string error;
  std::int64_t error_code = 0;
  std::string message;
  std::int64_t lark_code = 0;
};

struct startup_options {
  std::string issuer;        // "" = the base URL
  std::string callback_url;  // default target of injected callbacks
  std::string api_key;       // "" = generated
  std::string proxy_slug = "api-lark-bot";
  std::string key_alg = "RS256";
};

class fake_nyxid {
 public:
  using clock_fn = std::function<std::int64_t()>;  // Unix milliseconds

  fake_nyxid(startup_options options, std::uint64_t seed, clock_fn now = {});

  // Where clients reach the fake; also the issuer unless one was given.
  void set_base_url(std::string url);
  const std::string& base_url() const { return base_url_; }
  const std::string& issuer() const { return cb_.issuer; }
  // The first stdout line: listen, base_url, issuer, audience, api_key, api_key_id, ...
  boost::json::object startup_info(const std::string& listen) const;

  action handle(const kit::http_request& req);
  // The outcome of delivery `ticket` (error "" when an HTTP answer came): the inject answer.
  kit::http_response delivered(std::uint64_t ticket, const std::string& error, unsigned status,
                               const std::string& body);

  relay_ledger& relay() { return relay_; }
  oauth_broker& oauth() { return oauth_; }
  key_store& keys() { return keys_; }

 private:
  struct callback_record {
    std::uint64_t seq = 0;
    std::int64_t time_ms = 0;
    std::string message_id, jti, url, platform, error, response_body;
    std::vector<std::string> forge;
    unsigned status = 0;
    bool done = false;
    boost::json::object answer;  // the inject answer (contains the reply token)
  };

  std::int64_t now() const { return now_(); }
  // Takes a fault matching `endpoint` and one of `kinds`, honouring its count.
  std::optional<fault> take_fault(std::string_view endpoint,
                                  std::initializer_list<const char*> kinds);
  action api(const kit::http_request& req);
  action finish(std::uint64_t seq, unsigned status, const boost::json::object& body,
                const std::string& fault_kind);
  action relay_call(const kit::http_request& req, std::uint64_t seq, bool update);
  action proxy_call(const kit::http_request& req, std::uint64_t seq);
  action oauth_call(const kit::http_request& req, std::uint64_t seq, std::string_view endpoint);
  std::string credential_kind(std::string_view authorization) const;

  // control_api.cpp
  action control(const kit::http_request& req);
  action inject(const boost::json::object& body);
  action redeliver(const boost::json::object& body);
  kit::http_response arm_fault(const boost::json::object& body);
  kit::http_response set_config(const boost::json::object& body);
  boost::json::object config_json() const;
  void reset();

  startup_options options_;
  clock_fn now_;
  id_source ids_;
  key_store keys_;
  relay_ledger relay_;
  oauth_broker oauth_;
  proxy_script proxy_;
  request_log log_;
  callback_context cb_;
  std::string base_url_ = "http://127.0.0.1";
  std::string api_key_id_;
  std::string client_id_;
  std::vector<fault> faults_;
  std::int64_t callback_timeout_ms_ = 30'000;
  std::map<std::uint64_t, delivery> pending_;  // ticket → the delivery in flight
  std::deque<callback_record> callbacks_;
  std::map<std::string, delivery> sent_callbacks_;  // message_id → last delivery (bounded)
  std::deque<std::string> sent_order_;
  std::uint64_t next_ticket_ = 1;
};

using common::json_response;  // tools/fakes/common

}  // namespace patchbay::fakes::nyxid
