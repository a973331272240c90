// The pairing API (docs/architecture.md "Access control"), behind the bearer token like every
// /v1 route:
//   GET  /v1/pairings          → {"pending": [{channel, sender, code, expires_at}],
//                                 "approved": [{channel, sender, approved_at}]} (unix seconds)
//   POST /v1/pairings/approve  {"code"} → {"approved": {channel, sender}}; 404 unknown_code
//   POST /v1/pairings/revoke   {"channel", "sender"} → {"revoked": {channel, sender}}; 404
// Answered on the calling thread from the pairing book's memory (its writes are queued).
#pragma once

#include <optional>

#include "patchbay/kit/http_server.hpp"

namespace patchbay::access {
class pairing_book;
}

namespace patchbay::api {

// The answer for a /v1/pairings route, or nullopt when `req` is not one (the token was checked).
std::optional<kit::http_response> pairing_response(access::pairing_book* book,
                                                   const kit::http_request& req);

}  // namespace patchbay::api
