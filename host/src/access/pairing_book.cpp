#include "access/pairing_book.hpp"

#include <openssl/rand.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace patchbay::access {
namespace json = boost::json;

namespace {

int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string instance_of(const std::string& channel) { return "access:" + channel; }

int64_t int_of(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->as_int64() : 0;
}
std::string str_of(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The JSON array stored under `key`, or an empty one (a damaged value is ignored).
json::array read_array(const kv_port& kv, const std::string& channel, const char* key) {
  if (!kv.get) return {};
  auto text = kv.get(instance_of(channel), key);
  if (!text) return {};
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_array()) return {};
  return v.as_array();
}

}  // namespace

pairing_book::pairing_book(kv_port kv, clock_fn now, code_fn codes)
    : kv_(std::move(kv)),
      now_(now ? std::move(now) : clock_fn(system_now)),
      codes_(codes ? std::move(codes) : code_fn(random_code)) {}

std::string pairing_book::random_code() {
  const std::size_t n = std::strlen(alphabet);  // 31: bytes >= 248 are rejected (no bias)
  const auto limit = static_cast<unsigned>(256 - (256 % n));
  std::string out;
  while (out.size() < 8) {
    unsigned char buf[16];
    if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("no random bytes from OpenSSL");
    for (unsigned char b : buf)
      if (b < limit && out.size() < 8) out += alphabet[b % n];
  }
  return out;
}

void pairing_book::load(const std::string& channel) {
  {
    std::lock_guard lk(mu_);
    if (books_.count(channel) > 0) return;  // memory is ahead of the store's queued writes
  }
  channel_book b;
  for (const auto& v : read_array(kv_, channel, "approved")) {
    if (!v.is_object()) continue;
    approved_sender a{channel, str_of(v.as_object(), "sender"), int_of(v.as_object(), "at")};
    if (!a.sender.empty()) b.approved[a.sender] = a;
  }
  for (const auto& v : read_array(kv_, channel, "pending")) {
    if (!v.is_object()) continue;
    const auto& o = v.as_object();
    pairing_code c{str_of(o, "code"),    channel,          str_of(o, "sender"), int_of(o, "issued"),
                   int_of(o, "expires"), int_of(o, "sent")};
    if (!c.code.empty() && !c.sender.empty()) b.pending[c.sender] = c;
  }
  std::lock_guard lk(mu_);
  books_[channel] = std::move(b);
}

void pairing_book::purge(channel_book& b, int64_t now) const {
  for (auto it = b.pending.begin(); it != b.pending.end();)
    it = it->second.expires_unix_s <= now ? b.pending.erase(it) : std::next(it);
}

void pairing_book::save(const std::string& channel, const channel_book& b) const {
  if (!kv_.set) return;
  json::array approved, pending;
  for (const auto& [sender, a] : b.approved)
    approved.push_back(json::object{{"sender", sender}, {"at", a.approved_unix_s}});
  for (const auto& [sender, c] : b.pending)
    pending.push_back(json::object{{"code", c.code},
                                   {"sender", sender},
                                   {"issued", c.issued_unix_s},
                                   {"expires", c.expires_unix_s},
                                   {"sent", c.last_sent_unix_s}});
  kv_.set(instance_of(channel), "approved", json::serialize(approved));
  kv_.set(instance_of(channel), "pending", json::serialize(pending));
}

bool pairing_book::is_approved(const std::string& channel, const std::string& sender) const {
  std::lock_guard lk(mu_);
  auto b = books_.find(channel);
  return b != books_.end() && b->second.approved.count(sender) > 0;
}

std::pair<issue_outcome, std::string> pairing_book::issue(const std::string& channel,
                                                          const std::string& sender,
                                                          const config::pairing_config& cfg) {
  const int64_t now = now_();
  std::lock_guard lk(mu_);
  auto& b = books_[channel];
  purge(b, now);
  if (auto it = b.pending.find(sender); it != b.pending.end()) {
    if (now - it->second.last_sent_unix_s < resend_interval_s)
      return {issue_outcome::suppressed, ""};
    it->second.last_sent_unix_s = now;
    save(channel, b);
    return {issue_outcome::resend, it->second.code};
  }
  if (b.pending.size() >= cfg.max_pending) return {issue_outcome::full, ""};
  pairing_code c{codes_(), channel, sender, now, now + cfg.code_ttl.count(), now};
  b.pending[sender] = c;
  save(channel, b);
  return {issue_outcome::fresh, c.code};
}

std::optional<approved_sender> pairing_book::approve(const std::string& code) {
  std::string wanted = code;
  std::transform(wanted.begin(), wanted.end(), wanted.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  const int64_t now = now_();
  std::lock_guard lk(mu_);
  for (auto& [channel, b] : books_) {
    purge(b, now);
    for (auto it = b.pending.begin(); it != b.pending.end(); ++it) {
      if (it->second.code != wanted) continue;
      approved_sender a{channel, it->first, now};
      b.approved[a.sender] = a;
      b.pending.erase(it);
      save(channel, b);
      return a;
    }
  }
  return std::nullopt;
}

bool pairing_book::revoke(const std::string& channel, const std::string& sender) {
  std::lock_guard lk(mu_);
  auto b = books_.find(channel);
  if (b == books_.end()) return false;
  const bool removed = b->second.approved.erase(sender) + b->second.pending.erase(sender) > 0;
  if (removed) save(channel, b->second);
  return removed;
}

pairing_book::listing pairing_book::list() const {
  const int64_t now = now_();
  std::lock_guard lk(mu_);
  listing out;
  for (const auto& [channel, b] : books_) {
    for (const auto& [sender, c] : b.pending)
      if (c.expires_unix_s > now) out.pending.push_back(c);
    for (const auto& [sender, a] : b.approved) out.approved.push_back(a);
  }
  return out;
}

}  // namespace patchbay::access
