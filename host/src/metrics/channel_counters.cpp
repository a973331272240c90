#include "metrics/channel_counters.hpp"

#include "messages/messages.hpp"

namespace patchbay::metrics {

static_assert(PB_OK == 0 && PB_ERR_UNSUPPORTED == result_classes - 2,
              "one result class per pb_error_code, then unknown");

const char* to_string(inbound_outcome o) {
  switch (o) {
    case inbound_outcome::accepted:
      return "accepted";
    case inbound_outcome::duplicate:
      return "duplicate";
    case inbound_outcome::refused:
      return "refused";
  }
  return "unknown";
}

const char* to_string(op_kind k) {
  switch (k) {
    case op_kind::send:
      return "send";
    case op_kind::edit:
      return "edit";
    case op_kind::typing:
      return "typing";
  }
  return "unknown";
}

int result_class_index(int32_t pb_code) {
  return pb_code >= PB_OK && pb_code <= PB_ERR_UNSUPPORTED ? pb_code : result_classes - 1;
}

const char* result_class_name(int index) {
  return index >= 0 && index < result_classes - 1 ? messages::error_class_name(index) : "unknown";
}

void channel_counters::outbound(std::string_view what, int32_t pb_code) noexcept {
  if (what == "send")
    outbound(op_kind::send, pb_code);
  else if (what == "edit")
    outbound(op_kind::edit, pb_code);
  else if (what == "typing")
    outbound(op_kind::typing, pb_code);
}

}  // namespace patchbay::metrics
