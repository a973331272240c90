// The thread-safe half of a WebSocket connection; see ws_channel.hpp.
#include "ws_channel.hpp"

#include "patchbay/kit/ws_client.hpp"
#include "patchbay/kit/ws_server.hpp"
#include "patchbay/kit/ws_types.hpp"

namespace patchbay::kit {

namespace ws_detail {

std::atomic<std::size_t> live_clients{0};
std::atomic<std::size_t> live_sessions{0};

bool channel::send(bool binary, std::string data) {
  bool was_idle = false;
  {
    std::lock_guard lock(mtx_);
    if (shut_ || req_.close || req_.abort) return false;
    if (data.size() > max_queued_ || queued_bytes_ > max_queued_ - data.size()) return false;
    queued_bytes_ += data.size();
    was_idle = queue_.empty();
    queue_.push_back(outgoing{binary, std::move(data)});
  }
  if (was_idle) wake();
  return true;
}

void channel::close(std::uint16_t code, std::string reason) {
  {
    std::lock_guard lock(mtx_);
    if (shut_ || req_.close || req_.abort) return;
    req_.close = true;
    req_.code = code;
    req_.reason = std::move(reason);
  }
  wake();
}

void channel::abort() {
  {
    std::lock_guard lock(mtx_);
    if (shut_ || req_.abort) return;
    req_.abort = true;
  }
  wake();
}

void channel::stall(bool on) {
  {
    std::lock_guard lock(mtx_);
    if (shut_ || req_.stalled == on) return;
    req_.stalled = on;
  }
  wake();
}

void channel::attach(std::function<void()> wake) {
  auto fn = std::make_shared<const std::function<void()>>(std::move(wake));
  std::lock_guard lock(mtx_);
  if (!shut_) wake_ = std::move(fn);
}

void channel::shut() {
  std::deque<outgoing> dropped;  // released unlocked
  std::shared_ptr<const std::function<void()>> fn;
  std::lock_guard lock(mtx_);
  shut_ = true;
  dropped.swap(queue_);
  queued_bytes_ = 0;
  fn = std::move(wake_);
}

bool channel::take(outgoing& out) {
  std::lock_guard lock(mtx_);
  if (queue_.empty()) return false;
  out = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void channel::sent(std::size_t bytes) {
  std::lock_guard lock(mtx_);
  queued_bytes_ -= std::min(queued_bytes_, bytes);
}

channel::requests channel::snapshot() const {
  std::lock_guard lock(mtx_);
  return req_;
}

void channel::wake() {
  std::shared_ptr<const std::function<void()>> fn;
  {
    std::lock_guard lock(mtx_);
    fn = wake_;
  }
  if (fn && *fn) (*fn)();
}

}  // namespace ws_detail

const char* ws_close_cause_name(ws_close_cause cause) noexcept {
  switch (cause) {
    case ws_close_cause::peer_closed:
      return "peer_closed";
    case ws_close_cause::local_closed:
      return "local_closed";
    case ws_close_cause::aborted:
      return "aborted";
    case ws_close_cause::handshake_rejected:
      return "handshake_rejected";
    case ws_close_cause::failed:
      return "failed";
    case ws_close_cause::runtime_stopped:
      return "runtime_stopped";
  }
  return "unknown";
}

std::size_t ws_live_connections() noexcept { return ws_detail::live_clients.load(); }
std::size_t ws_live_sessions() noexcept { return ws_detail::live_sessions.load(); }

}  // namespace patchbay::kit
