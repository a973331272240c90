#include "patchbay/common/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace patchbay::common {

backoff::backoff(backoff_policy p, std::function<double()> uniform01)
    : p_(p), rand_(std::move(uniform01)) {
  p_.jitter = std::clamp(p_.jitter, 0.0, 1.0);
  p_.factor = std::max(p_.factor, 1.0);
  if (p_.initial.count() < 1) p_.initial = std::chrono::milliseconds(1);
  if (p_.cap < p_.initial) p_.cap = p_.initial;
  if (!rand_) {
    auto gen = std::make_shared<std::mt19937_64>(std::random_device{}());
    rand_ = [gen] { return std::uniform_real_distribution<double>(0.0, 1.0)(*gen); };
  }
}

std::chrono::milliseconds backoff::peek_base() const {
  double d = static_cast<double>(p_.initial.count()) *
             std::pow(p_.factor, static_cast<double>(std::min<uint32_t>(failures_, 200)));
  d = std::min(d, static_cast<double>(p_.cap.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(d));
}

std::chrono::milliseconds backoff::next() {
  double base = static_cast<double>(peek_base().count());
  if (failures_ < UINT32_MAX) ++failures_;
  double r = std::clamp(rand_(), 0.0, 1.0);
  double d = base * (1.0 - p_.jitter + 2.0 * p_.jitter * r);
  d = std::clamp(d, 1.0, static_cast<double>(p_.cap.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(d));
}

}  // namespace patchbay::common
