// patchbay-fake-nyxid: the inbound driver's message factory (docs/protocols/nyxid-relay.md §1, §5
// "Inbound driver"). From one POST /_fake/inject body it makes the inbound message (NyxID UUID,
// route, the platform's own message id), its single-use reply token, the callback JWT (`jti` =
// `correlation_id`, `body_sha256` of the exact bytes) and the whole delivery: URL, the §1.2
// headers and the body bytes — optionally forged so that one check of §1.3 fails.
//
// Forgeries (inject "forge": a name or a list): expired, wrong_audience, wrong_issuer,
// wrong_token_type, body_altered, duplicate_jti, unknown_kid, bad_signature, wrong_message_id
// (the X-NyxID-Message-Id header), claim_message_id (the JWT claim), wrong_api_key_id,
// wrong_platform, jti_mismatch (correlation_id), missing_token, missing_message_id_header,
// missing_reply_token, missing_user_token. Each is what one verification step of §1.3 refuses.
//
// Pure apart from the state it updates in the ledger; no I/O. Not thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ids.hpp"
#include "key_store.hpp"
#include "patchbay/kit/http_types.hpp"
#include "relay_ledger.hpp"

namespace patchbay::fakes::nyxid {

struct delivery {
  std::string url;
  kit::http_headers headers;  // contains secrets (tokens): never log
  std::string body;           // exact bytes; contains the reply token
  std::string message_id;
  std::string jti;
  std::string platform;
  std::vector<std::string> forge;
};

struct callback_context {
  relay_ledger& ledger;
  key_store& keys;
  id_source& ids;
  std::string issuer;
  std::string callback_url;  // default target
  std::string api_key_id;    // default agent key
  std::string default_route_type = "private";
  std::int64_t callback_ttl_s = 300;
  std::int64_t user_token_ttl_s = 900;
  bool legacy_signature = true;  // X-NyxID-Signature (HMAC keyed with hex SHA-256 of the key)
  std::string last_jti;          // for duplicate_jti; updated by build_callback
};

// The known forgery names.
const std::vector<std::string>& forgery_names();

// Builds one delivery and records the inbound message in the ledger. On a bad request returns
// nullopt with `error` set (nothing recorded). `answer` receives what the control API returns:
// message_id, correlation_id, conversation_id, platform_message_id, chat_id, reply_token, forge.
std::optional<delivery> build_callback(const boost::json::object& req, callback_context& ctx,
                                       std::int64_t now_ms, std::string& error,
                                       boost::json::object& answer);

}  // namespace patchbay::fakes::nyxid
