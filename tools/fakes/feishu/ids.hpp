// patchbay-fake-feishu: identifiers in the shapes the real platform uses (protocol note §1): app
// ids `cli_` + 16 hex (node-sdk refuses anything else), `om_`/`oc_`/`ou_`/`on_` ids, 32-hex event
// ids, `t-` tenant tokens. Seeded, so a test that fixes the seed gets the same ids every run.
//
// Not thread-safe (owned by fake_feishu).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace patchbay::fakes::feishu {

class id_source {
 public:
  explicit id_source(std::uint64_t seed) : rng_(seed) {}

  std::string hex(std::size_t n);
  std::string alnum(std::size_t n);
  std::string app_id() { return "cli_" + hex(16); }
  std::string open_id() { return "ou_" + hex(32); }
  std::string union_id() { return "on_" + hex(32); }
  std::string chat_id() { return "oc_" + hex(32); }
  std::string message_id() { return "om_" + hex(32); }
  std::string card_id() { return "7" + hex(18); }
  std::string event_id() { return hex(32); }
  std::string tenant_token() { return "t-g" + alnum(40); }
  std::string ticket() { return alnum(32); }
  std::uint64_t next(std::uint64_t bound) { return bound == 0 ? 0 : rng_() % bound; }

 private:
  std::mt19937_64 rng_;
};

}  // namespace patchbay::fakes::feishu
