// PKCE (RFC 7636) and the signed OAuth `state` of identity bindings. Pure functions on OpenSSL's
// libcrypto; no I/O, no clock of their own (callers pass Unix seconds); thread-safe.
//
// The host keeps no table of pending authorizations: everything the callback needs travels in
// the `state` parameter, HMAC-SHA256-signed with the configured state_secret and expiring after
// 5 minutes. The PKCE code_verifier is not written into the state in clear (the state passes
// through the browser and NyxID's logs, where a verifier would void PKCE): the state carries a
// random nonce, and the verifier is derived from it with a second HMAC key, so only the host can
// recompute it when the code comes back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace patchbay::identity {

// BASE64URL(SHA256(ASCII(verifier))) without padding: the S256 code_challenge.
std::string pkce_challenge_s256(std::string_view verifier);
// 43..128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1).
bool pkce_verifier_valid(std::string_view verifier);
// The verifier for `nonce` under `secret` (43 characters).
std::string pkce_verifier_for(std::string_view secret, std::string_view nonce);

// `n` random bytes from OpenSSL's CSPRNG, base64url (throws std::runtime_error if it fails).
std::string random_token(std::size_t n = 24);

// What a signed state says.
struct state_claims {
  std::string provider;     // "nyxid"
  std::string subject_key;  // "<platform>:<channel-id>:<sender-id>": who binds
  std::string nonce;        // PKCE verifier seed (random per /init)
  std::int64_t expires_unix_s = 0;
};

inline constexpr std::int64_t state_lifetime_s = 300;

// "<base64url(JSON claims)>.<base64url(HMAC-SHA256)>".
std::string sign_state(const state_claims& claims, std::string_view secret);

enum class state_check { ok, malformed, bad_signature, expired };
// Checks the signature first (constant time), then the expiry against `now_unix_s`. `out` is set
// only when ok.
state_check verify_state(std::string_view token, std::string_view secret, std::int64_t now_unix_s,
                         state_claims& out);

}  // namespace patchbay::identity
