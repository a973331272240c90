// The fake NyxID (tools/fakes/nyxid) as a child process of a test, with the helpers the NyxID
// plugin tests share: inject a user message (the fake signs and POSTs the callback), read what the
// bot sent, the requests it made, and the proxy's records; arm faults.
#pragma once

#include <string>
#include <vector>

#include "fake_process.hpp"

namespace pbnyx {
namespace json = boost::json;

struct fake_nyxid : pbfake::fake_process {
  fake_nyxid() : fake_process(PB_FAKE_NYXID_BIN, {"--seed", "7"}) {}

  std::string api_key() const { return str(first_line, "api_key"); }
  std::string slug() const { return str(first_line, "proxy_slug"); }

  // POST /_fake/inject; the answer holds callback_status, message_id, reply_token, ...
  json::object inject(const std::string& callback_url, json::object fields) const {
    fields["callback_url"] = callback_url;
    auto v = call("POST", "/_fake/inject", fields);
    return v.is_object() ? v.as_object() : json::object{};
  }
  json::array sent() const { return list("/_fake/sent", "sent"); }
  json::array proxy_sent() const { return list("/_fake/proxy/sent", "sent"); }
  json::array requests(const std::string& endpoint) const {
    return list("/_fake/requests?endpoint=" + endpoint, "requests");
  }
  void fault(json::object f) const { call("POST", "/_fake/fault", f); }
};

// A config block for the plugin talking to `fake` (extra keys appended verbatim, YAML flow map).
inline std::string plugin_config(const fake_nyxid& fake, const std::string& extra = {}) {
  return "{ base_url: \"" + fake.base_url + "\"" + (extra.empty() ? "" : ", " + extra) + " }";
}

}  // namespace pbnyx
