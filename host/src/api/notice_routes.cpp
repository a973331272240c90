#include "api/notice_routes.hpp"

#include "patchbay/common/ascii.hpp"
#include "patchbay/pb_types.h"

namespace patchbay::api {

bool equal_routes(const route& a, const route& b) {
  return common::iequals_ascii(a.channel, b.channel) &&
         common::iequals_ascii(a.conversation, b.conversation) &&
         common::iequals_ascii(a.thread, b.thread);
}

bool structural_failure(int32_t code) {
  return code == PB_ERR_AUTH || code == PB_ERR_REJECTED || code == PB_ERR_NOT_FOUND;
}

std::vector<route> plan_failure_notice(const route& primary, const std::optional<route>& last_seen,
                                       const std::vector<route>& fallbacks) {
  std::vector<route> plan;
  auto add = [&](const route& r) {
    if (r.channel.empty() || r.conversation.empty()) return;
    for (const auto& p : plan)
      if (equal_routes(p, r)) return;
    plan.push_back(r);
  };
  if (last_seen) add(*last_seen);
  for (const auto& f : fallbacks) add(f);
  add(primary);
  return plan;
}

std::string failure_notice_text(std::string_view job, std::string_view reason) {
  std::string text = "A message for you could not be delivered";
  if (!job.empty()) text += " (" + std::string(job) + ")";
  text += ".";
  if (!reason.empty()) {
    std::string r(reason.substr(0, 200));
    text += " Reason: " + r + (reason.size() > 200 ? "…" : "") + ".";
  }
  return text;
}

}  // namespace patchbay::api
