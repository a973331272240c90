// patchbay-fake-feishu: the app registry — credentials, tenant access tokens (§3.1) and the
// one-shot WebSocket tickets handed out by endpoint discovery (§2.1/§2.2).
//
// Tokens: a token lives `token_ttl_s` (7200); asking again returns the same token while it has
// at least `renew_before_s` (1800) left, else a new one (the old one stays valid until it
// expires), as the docs describe. Tickets are consumed by the first handshake that shows them and
// expire after ticket_ttl_ms. Both maps are bounded (expired entries are pruned on insert).
//
// Times are the caller's clock (milliseconds). Not thread-safe (owned by fake_feishu).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ids.hpp"

namespace patchbay::fakes::feishu {

struct app_creds {
  std::string app_id;
  std::string app_secret;
  std::string encrypt_key;
  std::string verification_token;
  std::string bot_open_id;
  std::string bot_name;
  std::string tenant_key;
};

struct app_state {
  app_creds creds;
  bool disabled = false;
};

class app_registry {
 public:
  static constexpr std::int64_t token_ttl_s = 7200;
  static constexpr std::int64_t renew_before_s = 1800;
  static constexpr std::int64_t ticket_ttl_ms = 300'000;

  app_state& add(id_source& ids);
  app_state* find(std::string_view app_id);
  std::size_t size() const { return apps_.size(); }
  app_state& at(std::size_t i) { return *apps_[i]; }

  struct token_grant {
    std::string token;
    std::int64_t expire_s = 0;  // seconds left
  };
  token_grant issue_token(app_state& app, id_source& ids, std::int64_t now_ms);
  // The app the token belongs to, when known and not expired.
  app_state* check_token(std::string_view token, std::int64_t now_ms);

  std::string issue_ticket(app_state& app, id_source& ids, std::int64_t now_ms);
  // Consumes the ticket: the app it was issued to, or nullptr (unknown, used or expired).
  app_state* take_ticket(std::string_view ticket, std::int64_t now_ms);

 private:
  struct token_info {
    app_state* app = nullptr;
    std::int64_t expires_ms = 0;
  };
  struct ticket_info {
    app_state* app = nullptr;
    std::int64_t expires_ms = 0;
  };
  std::vector<std::unique_ptr<app_state>> apps_;
  std::unordered_map<std::string, token_info> tokens_;
  std::unordered_map<std::string, std::string> current_token_;  // app_id -> newest token
  std::unordered_map<std::string, ticket_info> tickets_;
  std::deque<std::string> ticket_order_;  // bounds tickets_
};

}  // namespace patchbay::fakes::feishu
