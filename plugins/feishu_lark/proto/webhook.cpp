#include "feishu_lark/proto/webhook.hpp"

#include <boost/json.hpp>

#include "feishu_lark/proto/crypto.hpp"
#include "patchbay/common/digest.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {

webhook_reject reject(int status, reject_reason r, std::string detail) {
  return webhook_reject{status, r, std::move(detail)};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// nullopt when the headers are absent; otherwise whether the signature matched (and is fresh).
std::optional<webhook_reject> check_signature(const webhook_config& cfg, const webhook_headers& h,
                                              std::string_view key, std::string_view body,
                                              int64_t now_unix_s) {
  if (h.signature.empty() || h.timestamp.empty())
    return reject(401, reject_reason::unsigned_request, "signature headers missing");
  const std::string expected = crypto::webhook_signature(h.timestamp, h.nonce, key, body);
  if (!patchbay::common::equal_ct(expected, lower(h.signature)))
    return reject(401, reject_reason::bad_signature, "X-Lark-Signature does not match");
  if (cfg.max_skew_s > 0) {
    auto ts = json_util::parse_decimal(h.timestamp);
    if (ts && h.timestamp.size() >= 13) *ts /= 1000;  // milliseconds
    if (!ts || *ts > static_cast<uint64_t>(INT64_MAX))
      return reject(401, reject_reason::stale, "X-Lark-Request-Timestamp is not a number");
    const int64_t skew = static_cast<int64_t>(*ts) - now_unix_s;
    if (skew > cfg.max_skew_s || -skew > cfg.max_skew_s)
      return reject(401, reject_reason::stale,
                    "request timestamp " + std::to_string(skew) + " s away from now");
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(reject_reason r) {
  switch (r) {
    case reject_reason::too_large:
      return "too_large";
    case reject_reason::malformed:
      return "malformed";
    case reject_reason::not_configured:
      return "not_configured";
    case reject_reason::unsigned_request:
      return "unsigned";
    case reject_reason::bad_signature:
      return "bad_signature";
    case reject_reason::stale:
      return "stale";
    case reject_reason::bad_encryption:
      return "bad_encryption";
    case reject_reason::bad_token:
      return "bad_token";
  }
  return "unknown";
}

webhook_verdict verify_webhook(const webhook_config& cfg, const webhook_headers& h,
                               std::string_view body, int64_t now_unix_s) {
  if (cfg.encrypt_key.empty() && cfg.verification_token.empty())
    return reject(403, reject_reason::not_configured,
                  "neither an encrypt key nor a verification token is configured");
  if (body.size() > cfg.max_body_bytes)
    return reject(413, reject_reason::too_large,
                  "body of " + std::to_string(body.size()) + " bytes over the limit");
  std::string why;
  const auto outer = json_util::parse(body, &why);
  const json::object* o = outer ? outer->if_object() : nullptr;
  if (!o) return reject(400, reject_reason::malformed, outer ? "body is not a JSON object" : why);

  // 2. signature and decryption
  std::optional<webhook_reject> sig;
  std::string plaintext;
  const bool keyed = !cfg.encrypt_key.empty();
  if (keyed || cfg.verify_unkeyed_signature) {
    sig = check_signature(cfg, h, cfg.encrypt_key, body, now_unix_s);
    if (sig && sig->reason != reject_reason::unsigned_request) return *sig;
  }
  if (keyed) {
    const json::value* enc = o->if_contains("encrypt");
    if (!enc || !enc->is_string())
      return reject(400, reject_reason::bad_encryption,
                    "an encrypt key is set but the body has no "
                    "\"encrypt\" field");
    auto dec = crypto::decrypt_event(cfg.encrypt_key, json_util::string_at(*o, "encrypt"));
    if (!dec) return reject(400, reject_reason::bad_encryption, "the body does not decrypt");
    plaintext = std::move(*dec);
  } else {
    plaintext = std::string(body);
  }

  std::string error;
  auto env = parse_envelope(plaintext, &error);
  if (!env) return reject(400, reject_reason::malformed, error);
  const bool challenge = env->kind == envelope_kind::url_verification;
  if (sig && !(challenge && cfg.allow_unsigned_challenge)) return *sig;  // unsigned

  // 3. verification token
  if (!cfg.verification_token.empty() &&
      !patchbay::common::equal_ct(env->token, cfg.verification_token))
    return reject(401, reject_reason::bad_token, "verification token does not match");

  if (challenge) {
    if (env->challenge.empty())
      return reject(400, reject_reason::malformed, "url_verification without a challenge");
    webhook_challenge c;
    c.response_body = challenge_response(env->challenge);
    c.challenge = std::move(env->challenge);
    return c;
  }
  return webhook_event{std::move(plaintext), std::move(*env)};
}

}  // namespace patchbay::plugins::feishu_family
