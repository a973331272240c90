#include "patchbay/common/line_splitter.hpp"

namespace patchbay::common {

bool line_splitter::overlong_line(const std::function<void()>& on_overlong) {
  overflowed_ = true;
  pending_.clear();
  if (policy_ == overlong::stop) {
    stopped_ = true;
    return false;
  }
  skipping_ = true;
  if (on_overlong) on_overlong();
  return true;
}

bool line_splitter::feed(std::string_view bytes,
                         const std::function<bool(std::string_view line)>& fn,
                         const std::function<void()>& on_overlong) {
  if (stopped_) return false;
  std::size_t start = 0;
  while (start < bytes.size()) {
    const std::size_t nl = bytes.find('\n', start);
    if (nl == std::string_view::npos) break;
    const std::string_view piece = bytes.substr(start, nl - start);
    start = nl + 1;
    if (skipping_) {  // the rest of an overlong line ends here
      skipping_ = false;
      continue;
    }
    std::string joined;
    std::string_view line = piece;
    if (!pending_.empty()) {
      joined = std::move(pending_);
      pending_.clear();
      joined.append(piece);
      line = joined;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_) {
      if (!overlong_line(on_overlong)) return false;
      skipping_ = false;  // this one ended at its newline already
      continue;
    }
    if (!fn(line)) {
      stopped_ = true;
      return false;
    }
  }
  if (skipping_) return true;
  pending_.append(bytes.substr(start));
  // A line still growing past the bound ("\r" may yet be its terminator's first half).
  if (pending_.size() > max_ + 1 || (pending_.size() == max_ + 1 && pending_.back() != '\r'))
    return overlong_line(on_overlong);
  return true;
}

}  // namespace patchbay::common
