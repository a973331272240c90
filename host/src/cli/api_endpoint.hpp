// What the commands that talk to a running host share (`chat`, `reload`): where the host is and
// its API token, and how its JSON error answers read.
#pragma once

#include <string>

namespace patchbay::cli {

// Fills what --url / --token left empty: $PATCHBAY_URL, else http://127.0.0.1:8780 (the default
// listen address); $PATCHBAY_TOKEN. Trailing '/' of the URL are removed. Call before any thread
// starts (it reads the environment).
void apply_endpoint_defaults(std::string& url, std::string& token);

// The message of a JSON error answer: {"error":{"code":"...","message":"..."}}; "" if none.
std::string error_answer_message(const std::string& body);

}  // namespace patchbay::cli
