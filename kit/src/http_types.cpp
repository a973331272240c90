#include "patchbay/kit/http_types.hpp"

#include "text_util.hpp"

namespace patchbay::kit {

std::string_view find_header(const http_headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (detail::iequals(key, name)) return value;
  }
  return {};
}

}  // namespace patchbay::kit
