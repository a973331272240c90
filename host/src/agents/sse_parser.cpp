#include "agents/sse_parser.hpp"

namespace patchbay::agents {

bool sse_parser::feed(std::string_view bytes) {
  if (stopped_) return false;
  pending_.append(bytes);
  std::size_t start = 0;
  for (std::size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view l(pending_.data() + start, nl - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!line(l)) {
      stopped_ = true;
      return false;
    }
  }
  pending_.erase(0, start);
  if (pending_.size() + data_.size() > max_) {
    stopped_ = true;
    return false;
  }
  return true;
}

bool sse_parser::line(std::string_view l) {
  if (l.empty()) {  // dispatch
    bool go_on = true;
    if (has_data_) go_on = fn_(name_.empty() ? "message" : name_, data_);
    name_.clear();
    data_.clear();
    has_data_ = false;
    return go_on;
  }
  if (l.front() == ':') return true;  // comment (keep-alive)
  std::size_t colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value =
      colon == std::string_view::npos ? std::string_view{} : l.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    name_ = value;
  } else if (field == "data") {
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
  }
  return data_.size() <= max_;
}

}  // namespace patchbay::agents
