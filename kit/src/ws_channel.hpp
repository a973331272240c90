// The thread-safe half of a WebSocket connection, client or server (private header: kit/src only;
// no Asio, no Beast): the bounded send queue and what other threads ask of the connection
// (close, abort, stall). The connection's strand drains it; `wake` tells the strand there is news.
//
// Also the live counters behind ws_live_connections()/ws_live_sessions().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace patchbay::kit::ws_detail {

extern std::atomic<std::size_t> live_clients;
extern std::atomic<std::size_t> live_sessions;

// Counts an object of its owner's kind for as long as it lives.
class live_count {
 public:
  explicit live_count(std::atomic<std::size_t>& n) noexcept : n_(n) { n_.fetch_add(1); }
  ~live_count() { n_.fetch_sub(1); }
  live_count(const live_count&) = delete;
  live_count& operator=(const live_count&) = delete;

 private:
  std::atomic<std::size_t>& n_;
};

struct outgoing {
  bool binary = true;
  std::string data;
};

class channel {
 public:
  explicit channel(std::size_t max_queued_bytes) : max_queued_(max_queued_bytes) {}
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  // --- any thread ---
  // False when closing/closed or the queue would exceed max_queued_bytes.
  bool send(bool binary, std::string data);
  // The first close() or abort() counts; sends are refused from then on.
  void close(std::uint16_t code, std::string reason);
  void abort();
  void stall(bool on);

  // --- the connection's strand ---
  // `wake` must not block and must not call back into the channel synchronously (post it).
  void attach(std::function<void()> wake);
  // The end: refuse everything, drop the queue and the wake function.
  void shut();
  bool take(outgoing& out);
  void sent(std::size_t bytes);

  struct requests {
    bool close = false;
    bool abort = false;
    bool stalled = false;
    std::uint16_t code = 1000;
    std::string reason;
  };
  requests snapshot() const;

 private:
  void wake();

  const std::size_t max_queued_;
  mutable std::mutex mtx_;
  std::deque<outgoing> queue_;
  std::size_t queued_bytes_ = 0;  // queued plus being written
  bool shut_ = false;
  requests req_;
  std::shared_ptr<const std::function<void()>> wake_;
};

// "internal error[: what()]" for an exception that escaped a connection's coroutine.
inline std::string internal_error_text(std::exception_ptr e) {
  std::string text = "internal error";
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& ex) {
    text += ": ";
    text += ex.what();
  } catch (...) {
  }
  return text;
}

}  // namespace patchbay::kit::ws_detail
