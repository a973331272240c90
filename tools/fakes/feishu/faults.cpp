#include "faults.hpp"

namespace patchbay::fakes::feishu {

namespace json = boost::json;

std::optional<json::object> fault_table::take(std::string_view kind, std::string_view app_id) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->kind != kind || (!it->app_id.empty() && it->app_id != app_id)) continue;
    json::object params = it->params;
    if (it->remaining > 0 && --it->remaining == 0) faults_.erase(it);
    return params;
  }
  return std::nullopt;
}

bool fault_table::armed(std::string_view kind, std::string_view app_id) const {
  for (const auto& f : faults_) {
    if (f.kind == kind && (f.app_id.empty() || f.app_id == app_id)) return true;
  }
  return false;
}

json::array fault_table::to_json() const {
  json::array out;
  for (const auto& f : faults_) {
    out.push_back(json::object{{"kind", f.kind}, {"app_id", f.app_id}, {"remaining", f.remaining}});
  }
  return out;
}

}  // namespace patchbay::fakes::feishu
