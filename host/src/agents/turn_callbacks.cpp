#include "agents/turn_callbacks.hpp"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "agents/callback_body.hpp"
#include "media/media_ids.hpp"

namespace patchbay::agents {
namespace {

bool same_token(std::string_view presented, const std::string& expected) {
  return !expected.empty() && presented.size() == expected.size() &&
         CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

class local_turn_callbacks final : public turn_callbacks {
 public:
  explicit local_turn_callbacks(std::size_t ended_memory)
      : ended_memory_(ended_memory == 0 ? 1 : ended_memory) {}

  void add(const std::string& turn_id, const std::string& token, sink to) override {
    std::lock_guard lk(mu_);
    forget_ended(turn_id);
    live_[turn_id] = entry{token, std::move(to)};
  }

  callback_outcome deliver(const std::string& turn_id, std::string_view token,
                           std::string_view body) override {
    if (auto refused = check(turn_id, token)) return *refused;
    callback_body parsed = read_callback_body(turn_id, body);  // outside the lock
    if (!parsed.error.empty())
      return {.status = callback_status::bad_request, .accepted = 0, .reason = parsed.error};
    std::lock_guard lk(mu_);
    // The turn may have ended while the body was read.
    if (closed_) return {.status = callback_status::unavailable, .accepted = 0, .reason = {}};
    auto it = live_.find(turn_id);
    if (it == live_.end() || !same_token(token, it->second.token))
      return {.status = callback_status::gone, .accepted = 0, .reason = {}};
    for (auto& p : parsed.payloads) it->second.to(std::move(p));
    const std::size_t n = parsed.payloads.size();
    if (parsed.terminal) end_locked(it);
    return {.status = callback_status::accepted, .accepted = n, .reason = {}};
  }

  void end(const std::string& turn_id) override {
    std::lock_guard lk(mu_);
    auto it = live_.find(turn_id);
    if (it != live_.end()) end_locked(it);
  }

  void close() override {
    std::lock_guard lk(mu_);
    closed_ = true;
  }

 private:
  struct entry {
    std::string token;
    sink to;
  };

  // The answer when the post may not go on: no token, shutting down, unknown turn, another
  // turn's token, a turn that ended.
  std::optional<callback_outcome> check(const std::string& turn_id, std::string_view token) {
    auto refuse = [](callback_status s) {
      return callback_outcome{.status = s, .accepted = 0, .reason = {}};
    };
    if (token.empty()) return refuse(callback_status::unauthorized);
    std::lock_guard lk(mu_);
    if (closed_) return refuse(callback_status::unavailable);
    if (auto it = live_.find(turn_id); it != live_.end())
      return same_token(token, it->second.token)
                 ? std::nullopt
                 : std::optional(refuse(callback_status::unauthorized));
    if (auto it = ended_.find(turn_id); it != ended_.end())
      return refuse(same_token(token, it->second) ? callback_status::gone
                                                  : callback_status::unauthorized);
    return refuse(callback_status::unknown_turn);
  }

  void end_locked(std::map<std::string, entry>::iterator it) {
    ended_[it->first] = std::move(it->second.token);
    ended_order_.push_back(it->first);
    live_.erase(it);
    while (ended_order_.size() > ended_memory_) {
      ended_.erase(ended_order_.front());
      ended_order_.pop_front();
    }
  }

  void forget_ended(const std::string& turn_id) {
    if (ended_.erase(turn_id) == 0) return;
    std::erase(ended_order_, turn_id);
  }

  const std::size_t ended_memory_;
  std::mutex mu_;
  std::map<std::string, entry> live_;
  std::unordered_map<std::string, std::string> ended_;  // turn → its (spent) token
  std::deque<std::string> ended_order_;                 // oldest first, bounded
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<turn_callbacks> make_local_turn_callbacks(std::size_t ended_memory) {
  return std::make_shared<local_turn_callbacks>(ended_memory);
}

std::string new_callback_token() { return media::random_secret(); }

}  // namespace patchbay::agents
