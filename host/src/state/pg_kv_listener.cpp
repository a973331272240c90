#include "state/pg_kv_listener.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>

#include "patchbay/common/backoff.hpp"

namespace patchbay::state::pg_detail {

namespace {
constexpr std::size_t max_payload = 7900;  // the server's limit is 8000 bytes
}

std::string kv_notify_payload(const std::string& instance, const std::string& key) {
  std::string p = std::to_string(instance.size()) + ":" + instance + key;
  return p.size() > max_payload ? "*" : p;
}

bool parse_kv_notify_payload(const std::string& payload, std::string& instance, std::string& key) {
  const auto colon = payload.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 6) return false;
  std::size_t n = 0;
  for (std::size_t i = 0; i < colon; ++i) {
    if (payload[i] < '0' || payload[i] > '9') return false;
    n = n * 10 + static_cast<std::size_t>(payload[i] - '0');
  }
  if (colon + 1 + n > payload.size()) return false;
  instance = payload.substr(colon + 1, n);
  key = payload.substr(colon + 1 + n);
  return true;
}

kv_listener::kv_listener(pg_settings settings, callbacks cb)
    : settings_(std::move(settings)), cb_(std::move(cb)) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error("cannot create the kv listener's wake-up pipe");
  thread_ = std::thread([this] { run(); });
}

kv_listener::~kv_listener() {
  stop();
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void kv_listener::stop() {
  if (!stop_.exchange(true)) {
    const char b = 1;
    [[maybe_unused]] auto n = ::write(wake_[1], &b, 1);
  }
  if (thread_.joinable()) thread_.join();
}

bool kv_listener::wait_readable(int fd, int timeout_ms) {
  pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
  const int n = fd >= 0 ? 2 : 1;
  ::poll(fds, static_cast<nfds_t>(n), timeout_ms);
  return !stop_.load();
}

void kv_listener::run() {
  common::backoff retry(common::backoff_policy{std::chrono::milliseconds(200), 2.0,
                                               std::chrono::milliseconds(5'000), 0.2});
  while (!stop_.load()) {
    std::unique_ptr<pg_conn> c;
    try {
      c = std::make_unique<pg_conn>(settings_);
      c->command("LISTEN patchbay_kv");
      // Changes made before LISTEN took effect (since the load at open, or while disconnected)
      // sent no notification here: reload.
      cb_.resync(*c);
      cb_.report("");
      retry.reset();
      for (;;) {
        if (!wait_readable(PQsocket(c->raw()), -1)) return;
        if (PQconsumeInput(c->raw()) == 0)
          throw pg_error("the kv notification connection to " + c->server() + " broke", true);
        while (PGnotify* n = PQnotifies(c->raw())) {
          std::unique_ptr<PGnotify, void (*)(void*)> owned(n, PQfreemem);
          if (n->be_pid == cb_.own_pid()) continue;
          std::string instance, key;
          if (parse_kv_notify_payload(n->extra, instance, key))
            cb_.refresh(*c, instance, key);
          else
            cb_.resync(*c);
        }
      }
    } catch (const std::exception& e) {
      const auto delay = retry.next();
      cb_.report(std::string("key-value notifications: ") + e.what());
      spdlog::warn("state store: key-value notifications interrupted ({}); retrying in {} ms",
                   e.what(), delay.count());
      if (!wait_readable(-1, static_cast<int>(delay.count()))) return;
    }
  }
}

}  // namespace patchbay::state::pg_detail
