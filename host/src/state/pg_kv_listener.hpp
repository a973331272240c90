// Cross-replica key-values for the PostgreSQL engine: every kv write runs
// pg_notify('patchbay_kv', <payload naming instance and key>) in its transaction; this listener
// holds a connection of its own that LISTENs on that channel and hands each key another backend
// wrote to `refresh` (which rereads it through the listener's connection). Once listening (at
// start and after each reconnect) it calls `resync`: changes made before the LISTEN sent it no
// notification, so everything is reloaded. Own thread;
// waits in poll() on the connection's socket and a wake-up pipe (no busy loop); reconnects with
// jittered backoff (common/backoff.hpp).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "state/pg_conn.hpp"

namespace patchbay::state::pg_detail {

inline constexpr const char* kv_channel = "patchbay_kv";

// The notification payload for (instance, key): "<instance length>:<instance><key>", or "*"
// (reload everything) when it would not fit a notification.
std::string kv_notify_payload(const std::string& instance, const std::string& key);
// Inverse; false for "*" or a malformed payload.
bool parse_kv_notify_payload(const std::string& payload, std::string& instance, std::string& key);

class kv_listener {
 public:
  struct callbacks {
    // A key another backend changed (read its value through `c`).
    std::function<void(pg_conn& c, const std::string& instance, const std::string& key)> refresh;
    // Reload every key through `c` (after a reconnect, or a "*" notification).
    std::function<void(pg_conn& c)> resync;
    // The backend pid whose notifications are our own writes (skipped), read at each one.
    std::function<int()> own_pid;
    // "" once listening; otherwise why not.
    std::function<void(const std::string& problem)> report;
  };
  kv_listener(pg_settings settings, callbacks cb);
  ~kv_listener();  // stops and joins
  kv_listener(const kv_listener&) = delete;
  kv_listener& operator=(const kv_listener&) = delete;
  void stop();

 private:
  void run();
  // Waits until the socket is readable or stop(); false on stop.
  bool wait_readable(int fd, int timeout_ms);
  pg_settings settings_;
  callbacks cb_;
  std::atomic<bool> stop_{false};
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace patchbay::state::pg_detail
