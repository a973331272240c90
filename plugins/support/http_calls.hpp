// What every transport plugin keeps about the work it started for the host, so that stop and
// destroy can end it: the HTTP requests in flight (kit http_fetch with a registered http_cancel)
// and the completions owed to the host (settled by destroy when still open).
//
//   http_calls        start() runs one kit http_fetch with a fresh cancel handle registered here;
//                     its answer is handed over on the owner's strand after the handle left the
//                     registry. cancel_all() cancels every request still in flight (their answers
//                     still arrive, with the kit's "cancelled" error); empty() tells stop whether
//                     anything is still running.
//   owed_completions  owe() keeps a completion under an id, take() hands it to the one that
//                     settles it (at most once), settle_all() fails every one still owed (destroy).
//
// Threading: every member of both may be called from any thread (one mutex each, never held while
// calling out). An http_calls is a member of its owner: start() keeps the owner alive from the
// answer until `done` has run on the strand, and runs nothing once the owner is gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/runtime.hpp"
#include "patchbay/plugin.hpp"

namespace patchbay::plugins {

// The limits every plugin request carries: `connect` to connect (and the TLS handshake), then
// `answer` for the first byte and between body reads, `total` for all of it; the server verified
// against `ca_file` ("" = the system store); an answer body of at most 1 MiB.
inline void set_limits(kit::http_client_request& req, const std::string& ca_file,
                       std::chrono::milliseconds connect, std::chrono::milliseconds answer,
                       std::chrono::milliseconds total) {
  req.ca_file = ca_file;
  req.connect_timeout = connect;
  req.first_byte_timeout = answer;
  req.idle_timeout = answer;
  req.total_timeout = total;
  req.max_body_bytes = 1 << 20;
}

class http_calls {
 public:
  using fetch_done = std::function<void(std::string error, kit::http_client_response)>;

  // Starts `req` on `rt` (its `cancel` is set here). When `cancel_now` (the owner is already
  // closed or stopped) the request is cancelled at once and ends with the kit's error. `done` runs
  // on `strand` with `owner` (whose member this is) held alive, unless the owner is gone by then.
  template <class Owner>
  void start(kit::io_runtime& rt, const kit::strand& strand, const std::weak_ptr<Owner>& owner,
             kit::http_client_request req, bool cancel_now, fetch_done done) {
    auto cancel = std::make_shared<kit::http_cancel>();
    req.cancel = cancel;
    uint64_t id = 0;
    {
      std::lock_guard lock(mu_);
      id = ++next_;
      calls_.emplace(id, cancel);
    }
    if (cancel_now) cancel->cancel();
    kit::http_fetch(rt, std::move(req),
                    [this, strand, owner, id, done = std::move(done)](
                        std::string err, kit::http_client_response resp) mutable {
                      auto self = owner.lock();
                      if (!self) return;
                      strand.post([this, self, id, done = std::move(done), err = std::move(err),
                                   resp = std::move(resp)]() mutable {
                        {
                          std::lock_guard lock(mu_);
                          calls_.erase(id);
                        }
                        done(std::move(err), std::move(resp));
                      });
                    });
  }

  // Cancels every request in flight; any thread. Each one's `done` still runs (cancelled).
  void cancel_all() {
    std::map<uint64_t, std::shared_ptr<kit::http_cancel>> calls;
    {
      std::lock_guard lock(mu_);
      calls = calls_;  // entries leave the map when their answer is handed over
    }
    for (auto& [id, c] : calls) c->cancel();
  }

  bool empty() const { return size() == 0; }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return calls_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<kit::http_cancel>> calls_;
  uint64_t next_ = 0;
};

class owed_completions {
 public:
  // Keeps `c` until take() or settle_all(); returns its id.
  uint64_t owe(sdk::completion c) {
    std::lock_guard lock(mu_);
    owed_.emplace(++next_, std::move(c));
    return next_;
  }

  // The completion owed under `id`, removed; nullopt when it was taken or settled already.
  std::optional<sdk::completion> take(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = owed_.find(id);
    if (it == owed_.end()) return std::nullopt;
    sdk::completion c = std::move(it->second);
    owed_.erase(it);
    return c;
  }

  // Fails every completion still owed with `code` and `text` (destroy: nothing else settles them
  // afterwards, since take() then finds none).
  void settle_all(pb_error_code code, const std::string& text) {
    std::map<uint64_t, sdk::completion> owed;
    {
      std::lock_guard lock(mu_);
      owed.swap(owed_);
    }
    for (auto& [id, c] : owed) c.fail(code, text);
  }

 private:
  std::mutex mu_;
  std::map<uint64_t, sdk::completion> owed_;
  uint64_t next_ = 0;
};

}  // namespace patchbay::plugins
