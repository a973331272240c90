#include "plugin/admission_gate.hpp"

#include <spdlog/spdlog.h>

namespace patchbay::plugin {

admission_gate::admission_gate(std::size_t limit, std::chrono::milliseconds retry_after,
                               load_fn load, std::chrono::milliseconds warn_every)
    : limit_(limit), retry_after_(retry_after), load_(std::move(load)), warn_every_(warn_every) {}

bool admission_gate::try_reserve(clock::time_point now) {
  // Reserve first, then check: concurrent intakes never both take the last place.
  const std::size_t mine = reserved_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (mine + (load_ ? load_() : 0) <= limit_) return true;
  reserved_.fetch_sub(1, std::memory_order_relaxed);
  refused_.fetch_add(1, std::memory_order_relaxed);
  note_refusal(now);
  return false;
}

void admission_gate::release() { reserved_.fetch_sub(1, std::memory_order_relaxed); }

void admission_gate::note_refusal(clock::time_point now) {
  std::lock_guard lock(warn_mu_);
  if (warned_ && now - last_warn_ < warn_every_) return;
  const uint64_t total = refused_.load(std::memory_order_relaxed);
  spdlog::warn(
      "overloaded: refusing inbound events before acknowledging them (the platforms deliver them "
      "again; {} refused since the last report, limit {} turns past intake "
      "(host.admission))",
      total - refused_at_warn_, limit_);
  refused_at_warn_ = total;
  last_warn_ = now;
  warned_ = true;
}

}  // namespace patchbay::plugin
