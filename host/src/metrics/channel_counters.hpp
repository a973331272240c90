// One channel's counters: inbound outcomes, outbound results (send / edit / typing by pb_error_code
// class), reconnects, and the answers to its /hooks/<id> requests by HTTP status. Created once per
// channel (registry::channel) and held as a shared_ptr where the events happen; every method is
// a relaxed atomic add: any thread, no lock, no allocation.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/instruments.hpp"

namespace patchbay::metrics {

enum class inbound_outcome { accepted, duplicate, refused };
inline constexpr std::array<inbound_outcome, 3> all_inbound_outcomes{
    inbound_outcome::accepted, inbound_outcome::duplicate, inbound_outcome::refused};
const char* to_string(inbound_outcome o);

enum class op_kind { send, edit, typing };
inline constexpr std::array<op_kind, 3> all_op_kinds{op_kind::send, op_kind::edit, op_kind::typing};
const char* to_string(op_kind k);

// Result classes: one per pb_error_code (PB_OK = 0 ... PB_ERR_UNSUPPORTED = 9), then "unknown" for
// any other code (a newer plugin).
inline constexpr int result_classes = 11;
int result_class_index(int32_t pb_code);
// messages::error_class_name of the class: "ok", "retryable", ..., "unknown".
const char* result_class_name(int index);

class channel_counters {
 public:
  explicit channel_counters(std::string id) : id_(std::move(id)) {}
  const std::string& id() const { return id_; }

  void inbound(inbound_outcome o) noexcept { inbound_[static_cast<int>(o)].add(); }
  void outbound(op_kind k, int32_t pb_code) noexcept {
    outbound_[static_cast<int>(k)][result_class_index(pb_code)].add();
  }
  // "send", "edit" or "typing" (the names channel_instance reports); other names are ignored.
  void outbound(std::string_view what, int32_t pb_code) noexcept;
  // Every status the plugin reports: a transition into reconnecting counts one reconnect.
  void status(bool reconnecting) noexcept {
    if (!reconnecting)
      reconnecting_.store(false, std::memory_order_relaxed);
    else if (!reconnecting_.exchange(true, std::memory_order_relaxed))
      reconnects_.add();
  }
  // The HTTP status a /hooks/<id> request of this channel was answered with (100..599; others,
  // which no HTTP answer carries, are ignored).
  void hook_answer(unsigned status) noexcept {
    if (status >= min_status && status <= max_status) hooks_[status - min_status].add();
  }

  // The access gate (host/src/access/): a message refused by the access rules, one over the
  // inbound rate limit (noticed, queued or dropped), one that arrived late.
  void access_refused() noexcept { access_refused_.add(); }
  void rate_limited() noexcept { rate_limited_.add(); }
  void late() noexcept { late_.add(); }
  uint64_t access_refused_count() const { return access_refused_.value(); }
  uint64_t rate_limited_count() const { return rate_limited_.value(); }
  uint64_t late_count() const { return late_.value(); }
  // An inbound event refused by the host's admission limit (host.admission) before it was stored.
  void overloaded() noexcept { overloaded_.add(); }
  uint64_t overloaded_count() const { return overloaded_.value(); }

  uint64_t inbound_count(inbound_outcome o) const { return inbound_[static_cast<int>(o)].value(); }
  uint64_t outbound_count(op_kind k, int class_index) const {
    return outbound_[static_cast<int>(k)][class_index].value();
  }
  uint64_t reconnects() const { return reconnects_.value(); }
  // Answers with `status` (100..599).
  uint64_t hook_answers(unsigned status) const {
    return status >= min_status && status <= max_status ? hooks_[status - min_status].value() : 0;
  }
  static constexpr unsigned min_status = 100, max_status = 599;

 private:
  std::string id_;
  std::array<counter, 3> inbound_;
  std::array<std::array<counter, result_classes>, 3> outbound_;
  counter reconnects_;
  std::atomic<bool> reconnecting_{false};
  std::array<counter, max_status - min_status + 1> hooks_;
  counter access_refused_, rate_limited_, late_, overloaded_;
};

}  // namespace patchbay::metrics
