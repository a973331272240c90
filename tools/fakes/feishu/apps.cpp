#include "apps.hpp"

namespace patchbay::fakes::feishu {

namespace {
constexpr std::size_t max_tickets = 4096;
constexpr std::size_t max_tokens = 4096;
}  // namespace

app_state& app_registry::add(id_source& ids) {
  auto a = std::make_unique<app_state>();
  a->creds.app_id = ids.app_id();
  a->creds.app_secret = ids.alnum(32);
  a->creds.encrypt_key = ids.alnum(32);
  a->creds.verification_token = ids.alnum(32);
  a->creds.bot_open_id = ids.open_id();
  a->creds.bot_name = "fake-bot-" + std::to_string(apps_.size() + 1);
  a->creds.tenant_key = ids.hex(16);
  apps_.push_back(std::move(a));
  return *apps_.back();
}

app_state* app_registry::find(std::string_view app_id) {
  for (auto& a : apps_) {
    if (a->creds.app_id == app_id) return a.get();
  }
  return nullptr;
}

app_registry::token_grant app_registry::issue_token(app_state& app, id_source& ids,
                                                    std::int64_t now_ms) {
  const auto cur = current_token_.find(app.creds.app_id);
  if (cur != current_token_.end()) {
    const auto it = tokens_.find(cur->second);
    if (it != tokens_.end() && it->second.expires_ms - now_ms >= renew_before_s * 1000) {
      return {it->first, (it->second.expires_ms - now_ms) / 1000};
    }
  }
  if (tokens_.size() >= max_tokens) {
    std::erase_if(tokens_, [&](const auto& kv) { return kv.second.expires_ms <= now_ms; });
  }
  std::string token = ids.tenant_token();
  tokens_[token] = {&app, now_ms + token_ttl_s * 1000};
  current_token_[app.creds.app_id] = token;
  return {token, token_ttl_s};
}

app_state* app_registry::check_token(std::string_view token, std::int64_t now_ms) {
  const auto it = tokens_.find(std::string(token));
  if (it == tokens_.end() || it->second.expires_ms <= now_ms) return nullptr;
  return it->second.app;
}

std::string app_registry::issue_ticket(app_state& app, id_source& ids, std::int64_t now_ms) {
  while (ticket_order_.size() >= max_tickets) {
    tickets_.erase(ticket_order_.front());
    ticket_order_.pop_front();
  }
  std::string t = ids.ticket();
  tickets_[t] = {&app, now_ms + ticket_ttl_ms};
  ticket_order_.push_back(t);
  return t;
}

app_state* app_registry::take_ticket(std::string_view ticket, std::int64_t now_ms) {
  const auto it = tickets_.find(std::string(ticket));
  if (it == tickets_.end()) return nullptr;
  app_state* app = it->second.expires_ms > now_ms ? it->second.app : nullptr;
  tickets_.erase(it);  // one-shot; the order deque keeps a stale name, harmless
  return app;
}

}  // namespace patchbay::fakes::feishu
