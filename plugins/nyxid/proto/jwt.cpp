#include "nyxid/proto/jwt.hpp"

#include "patchbay/common/base64.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::nyxid {
namespace json_util = patchbay::common::json_util;
using common::base64url_decode;

const char* to_string(jwt_parse_error e) {
  switch (e) {
    case jwt_parse_error::none:
      return "none";
    case jwt_parse_error::too_large:
      return "token too large";
    case jwt_parse_error::bad_shape:
      return "not a compact JWS";
    case jwt_parse_error::bad_base64:
      return "bad base64url segment";
    case jwt_parse_error::bad_header_json:
      return "header is not a JSON object";
    case jwt_parse_error::bad_claims_json:
      return "claims are not a JSON object";
    case jwt_parse_error::missing_alg:
      return "header has no alg";
    case jwt_parse_error::crit_present:
      return "header has crit";
  }
  return "unknown";
}

namespace {

std::optional<boost::json::object> decode_object(std::string_view b64, size_t max) {
  auto raw = base64url_decode(b64, max);
  if (!raw) return std::nullopt;
  auto v = json_util::parse(*raw);
  if (!v || !v->is_object()) return std::nullopt;
  return std::move(v->get_object());
}

}  // namespace

std::optional<parsed_jwt> parse_jwt(std::string_view token, const jwt_limits& limits,
                                    jwt_parse_error* error) {
  auto fail = [&](jwt_parse_error e) -> std::optional<parsed_jwt> {
    if (error) *error = e;
    return std::nullopt;
  };
  if (error) *error = jwt_parse_error::none;
  if (token.size() > limits.max_token_bytes) return fail(jwt_parse_error::too_large);
  const size_t d1 = token.find('.');
  if (d1 == std::string_view::npos) return fail(jwt_parse_error::bad_shape);
  const size_t d2 = token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return fail(jwt_parse_error::bad_shape);
  const std::string_view h = token.substr(0, d1);
  const std::string_view c = token.substr(d1 + 1, d2 - d1 - 1);
  const std::string_view s = token.substr(d2 + 1);
  if (h.empty() || c.empty() || s.empty()) return fail(jwt_parse_error::bad_shape);

  for (std::string_view seg : {h, c, s})
    if (!base64url_decode(seg, limits.max_token_bytes)) return fail(jwt_parse_error::bad_base64);

  auto sig = base64url_decode(s, limits.max_signature_bytes);
  if (!sig) return fail(jwt_parse_error::too_large);
  auto header = decode_object(h, limits.max_token_bytes);
  if (!header) return fail(jwt_parse_error::bad_header_json);
  auto claims = decode_object(c, limits.max_token_bytes);
  if (!claims) return fail(jwt_parse_error::bad_claims_json);

  parsed_jwt out;
  const std::string_view alg = json_util::string_at(*header, "alg");
  if (alg.empty()) return fail(jwt_parse_error::missing_alg);
  if (header->contains("crit")) return fail(jwt_parse_error::crit_present);
  out.alg = std::string(alg);
  out.kid = std::string(json_util::string_at(*header, "kid"));
  out.header = std::move(*header);
  out.claims = std::move(*claims);
  out.signing_input = std::string(token.substr(0, d2));
  out.signature = std::move(*sig);
  return out;
}

}  // namespace patchbay::plugins::nyxid
