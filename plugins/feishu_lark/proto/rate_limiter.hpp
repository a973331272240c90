// Feishu/Lark family: client-side throttling of Open API message calls (docs/protocols/
// feishu-lark.md §3.3, §5): token buckets per app and per chat, so a burst of edits is paced
// before the platform answers 429/99991400 or 230020, plus a block-until after such an answer
// (the x-ogw-ratelimit-reset time).
//
// Defaults: app — sustained 1000/min with bursts up to 50 (the 50/s ceiling); chat — 4/s with
// bursts of 4, under the platform's 5 QPS per user and per group (shared by all bots in a group).
// The chat table holds at most `max_chats` buckets; the least recently used one is dropped first
// (a bucket idle for burst/rate seconds is full, so dropping it loses nothing).
// The clock is the caller's (monotonic ms). Not thread-safe: owned by the plugin's strand.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace patchbay::plugins::feishu_family {

struct bucket_params {
  double rate_per_s = 1;
  double burst = 1;
};

class token_bucket {
 public:
  explicit token_bucket(bucket_params p = {}, int64_t now_ms = 0);
  // 0 when a token is available now; otherwise the milliseconds until one will be (>= 1).
  int64_t wait_ms(int64_t now_ms);
  // Takes a token if one is available; returns whether it did.
  bool try_take(int64_t now_ms);
  double tokens(int64_t now_ms);

 private:
  void refill(int64_t now_ms);
  bucket_params p_;
  double tokens_;
  int64_t last_ms_;
};

struct rate_limits {
  bucket_params app{1000.0 / 60.0, 50};
  bucket_params chat{4, 4};
  size_t max_chats = 4096;
};

class rate_limiter {
 public:
  explicit rate_limiter(rate_limits l = {});

  // 0 = go ahead (a token was taken from the app bucket and the chat's); otherwise how many ms to
  // wait before asking again (nothing taken). An empty chat id uses the app bucket only.
  int64_t acquire(std::string_view chat_id, int64_t now_ms);

  // After a rate-limit answer: nothing (app-wide, or for one chat) goes before until_ms.
  void block_app_until(int64_t until_ms);
  void block_chat_until(std::string_view chat_id, int64_t until_ms);

  size_t chat_buckets() const { return chats_.size(); }

 private:
  struct chat_state {
    token_bucket bucket;
    int64_t blocked_until_ms = 0;
    std::list<std::string>::iterator lru;
  };
  chat_state& chat(const std::string& id, int64_t now_ms);

  rate_limits l_;
  token_bucket app_;
  int64_t app_blocked_until_ms_ = 0;
  std::list<std::string> lru_;  // front = most recently used
  std::unordered_map<std::string, chat_state> chats_;
};

}  // namespace patchbay::plugins::feishu_family
