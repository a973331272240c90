#include "nyxid/proto/callback_verify.hpp"

#include <cmath>
#include <limits>
#include <optional>

#include "nyxid/proto/jws.hpp"
#include "patchbay/common/digest.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::nyxid {
namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

const char* to_string(callback_reject r) {
  switch (r) {
    case callback_reject::none:
      return "none";
    case callback_reject::body_too_large:
      return "body too large";
    case callback_reject::missing_token:
      return "callback token missing";
    case callback_reject::malformed_token:
      return "callback token malformed";
    case callback_reject::alg_not_allowed:
      return "algorithm not allowed";
    case callback_reject::missing_kid:
      return "token has no kid";
    case callback_reject::unknown_kid:
      return "unknown kid";
    case callback_reject::keys_unavailable:
      return "no verification keys";
    case callback_reject::alg_key_mismatch:
      return "algorithm does not match the key";
    case callback_reject::bad_signature:
      return "bad signature";
    case callback_reject::bad_issuer:
      return "wrong issuer";
    case callback_reject::bad_audience:
      return "wrong audience";
    case callback_reject::missing_time_claim:
      return "exp or iat missing";
    case callback_reject::expired:
      return "token expired";
    case callback_reject::not_yet_valid:
      return "token not yet valid";
    case callback_reject::issued_in_future:
      return "token issued in the future";
    case callback_reject::lifetime_too_long:
      return "token lifetime too long";
    case callback_reject::bad_token_type:
      return "wrong token_type";
    case callback_reject::unexpected_api_key_id:
      return "api_key_id is not this channel's";
    case callback_reject::body_not_json:
      return "body is not a JSON object";
    case callback_reject::api_key_id_mismatch:
      return "api_key_id differs from the body";
    case callback_reject::message_id_mismatch:
      return "message_id differs from the body";
    case callback_reject::missing_message_id_header:
      return "X-NyxID-Message-Id missing";
    case callback_reject::message_id_header_mismatch:
      return "message_id differs from the header";
    case callback_reject::platform_mismatch:
      return "platform differs from the body";
    case callback_reject::jti_mismatch:
      return "jti differs from correlation_id";
    case callback_reject::body_hash_mismatch:
      return "body_sha256 mismatch";
    case callback_reject::replayed_jti:
      return "jti replayed";
    case callback_reject::replay_window_full:
      return "replay window full";
  }
  return "unknown";
}

namespace {

callback_verdict reject(callback_reject r, bool refetch = false) {
  return {callback_verdict::status::unauthorized, r, refetch};
}

// A NumericDate (RFC 7519 §2): an integer or a finite number, in seconds. Values beyond ±10^12 s
// (some 30000 years) are refused so that later arithmetic cannot overflow.
std::optional<int64_t> numeric_date(const json::object& claims, std::string_view key) {
  constexpr int64_t bound = 1'000'000'000'000;
  const json::value* v = claims.if_contains(key);
  if (!v) return std::nullopt;
  std::optional<int64_t> out;
  if (v->is_int64()) {
    out = v->get_int64();
  } else if (v->is_uint64()) {
    if (v->get_uint64() <= static_cast<uint64_t>(bound))
      out = static_cast<int64_t>(v->get_uint64());
  } else if (v->is_double()) {
    const double d = v->get_double();
    if (std::isfinite(d) && std::fabs(d) <= static_cast<double>(bound))
      out = static_cast<int64_t>(std::floor(d));
  }
  if (out && (*out > bound || *out < -bound)) return std::nullopt;
  return out;
}

bool audience_matches(const json::object& claims, std::string_view expected) {
  const json::value* v = claims.if_contains("aud");
  if (!v) return false;
  if (v->is_string()) return v->get_string() == expected;
  if (v->is_array())
    for (const json::value& a : v->get_array())
      if (a.is_string() && a.get_string() == expected) return true;
  return false;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Non-empty string claims compare; an absent one never matches.
bool same(std::string_view claim, std::string_view other) {
  return !claim.empty() && claim == other;
}

bool body_hash_ok(const json::object& claims, std::string_view body) {
  std::string claimed(json_util::string_at(claims, "body_sha256"));
  for (char& c : claimed)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c + 32);
  return claimed.size() == 64 &&
         patchbay::common::equal_ct(claimed, patchbay::common::sha256_hex(body));
}

}  // namespace

callback_verdict verify_callback(const callback_request& request,
                                 const callback_verify_config& config, const jwks_cache& keys,
                                 replay_guard& replay, int64_t now_ms) {
  if (request.body.size() > config.max_body_bytes)
    return {callback_verdict::status::bad_request, callback_reject::body_too_large};
  // 1. The header.
  if (request.callback_token.empty()) return reject(callback_reject::missing_token);
  // 2. Shape, algorithm, key, signature.
  auto token = parse_jwt(request.callback_token, config.jwt);
  if (!token) return reject(callback_reject::malformed_token);
  if (!is_allowed_alg(token->alg)) return reject(callback_reject::alg_not_allowed);
  if (token->kid.empty()) return reject(callback_reject::missing_kid);
  const auto found = keys.find(token->kid, now_ms);
  if (found.status == jwks_cache::lookup_status::no_keys)
    return reject(callback_reject::keys_unavailable, keys.should_fetch(now_ms));
  if (found.status == jwks_cache::lookup_status::unknown_kid)
    return reject(callback_reject::unknown_kid, keys.on_unknown_kid(now_ms));
  switch (verify_signature(*token, *found.key)) {
    case sig_result::ok:
      break;
    case sig_result::alg_not_allowed:
      return reject(callback_reject::alg_not_allowed);
    case sig_result::alg_key_mismatch:
      return reject(callback_reject::alg_key_mismatch);
    case sig_result::bad_signature:
      return reject(callback_reject::bad_signature);
  }
  // 3. Issuer, audience, lifetime, type.
  const json::object& c = token->claims;
  if (config.issuer.empty() || json_util::string_at(c, "iss") != config.issuer)
    return reject(callback_reject::bad_issuer);
  if (!audience_matches(c, config.audience)) return reject(callback_reject::bad_audience);
  const auto exp = numeric_date(c, "exp");
  const auto iat = numeric_date(c, "iat");
  if (!exp || !iat) return reject(callback_reject::missing_time_claim);
  const int64_t now_s = now_ms / 1000;
  if (now_s > *exp + config.leeway_s) return reject(callback_reject::expired);
  if (c.contains("nbf")) {
    const auto nbf = numeric_date(c, "nbf");
    if (!nbf || *nbf > now_s + config.leeway_s) return reject(callback_reject::not_yet_valid);
  }
  if (*iat > now_s + config.leeway_s) return reject(callback_reject::issued_in_future);
  if (config.max_lifetime_s > 0 && *exp - *iat > config.max_lifetime_s)
    return reject(callback_reject::lifetime_too_long);
  if (json_util::string_at(c, "token_type") != config.token_type)
    return reject(callback_reject::bad_token_type);
  const std::string_view api_key_id = json_util::string_at(c, "api_key_id");
  if (!config.expected_api_key_id.empty() && api_key_id != config.expected_api_key_id)
    return reject(callback_reject::unexpected_api_key_id);

  auto body = json_util::parse(request.body);
  if (!body || !body->is_object()) {
    if (!body_hash_ok(c, request.body)) return reject(callback_reject::body_hash_mismatch);
    return {callback_verdict::status::bad_request, callback_reject::body_not_json};
  }
  const json::object& b = body->get_object();
  // 4. The agent key.
  const json::object* agent = json_util::object_at(b, "agent");
  if (!agent || !same(api_key_id, json_util::string_at(*agent, "api_key_id")))
    return reject(callback_reject::api_key_id_mismatch);
  // 5. The message id, in the body and in the header.
  const std::string_view message_id = json_util::string_at(c, "message_id");
  if (!same(message_id, json_util::string_at(b, "message_id")))
    return reject(callback_reject::message_id_mismatch);
  if (request.message_id_header.empty()) {
    if (config.require_message_id_header) return reject(callback_reject::missing_message_id_header);
  } else if (request.message_id_header != message_id) {
    return reject(callback_reject::message_id_header_mismatch);
  }
  // 6. The platform.
  const std::string_view platform = json_util::string_at(c, "platform");
  if (platform.empty() || !iequals(platform, json_util::string_at(b, "platform")))
    return reject(callback_reject::platform_mismatch);
  // 7. jti is the correlation id.
  const std::string_view jti = json_util::string_at(c, "jti");
  if (!same(jti, json_util::string_at(b, "correlation_id")))
    return reject(callback_reject::jti_mismatch);
  // 8. The exact bytes.
  if (!body_hash_ok(c, request.body)) return reject(callback_reject::body_hash_mismatch);
  // 9. Replay.
  const int64_t keep_until_ms = (*exp + config.leeway_s) * 1000;
  switch (replay.record(jti, now_ms, keep_until_ms)) {
    case replay_guard::result::fresh:
      break;
    case replay_guard::result::replayed:
      return reject(callback_reject::replayed_jti);
    case replay_guard::result::full:
      return reject(callback_reject::replay_window_full);
    case replay_guard::result::invalid:
      return reject(callback_reject::jti_mismatch);
  }
  return {callback_verdict::status::accepted, callback_reject::none};
}

}  // namespace patchbay::plugins::nyxid
