// Incremental Server-Sent Events parser (the subset patchbay's API emits and any SSE server may
// send: `event:`, `data:` lines, `:` comments, blank-line dispatch, LF or CRLF). Pure; no I/O.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace patchbay::agents {

class sse_parser {
 public:
  // Called per dispatched event with its name ("message" when none was given) and data (the data
  // lines joined by "\n"). Return false to stop parsing.
  using on_event = std::function<bool(const std::string& name, const std::string& data)>;
  explicit sse_parser(on_event fn, std::size_t max_event_bytes = 4 << 20)
      : fn_(std::move(fn)), max_(max_event_bytes) {}

  // Feeds bytes as they arrive. False once the callback stopped, or an event grew past the cap.
  bool feed(std::string_view bytes);

 private:
  bool line(std::string_view l);
  on_event fn_;
  std::size_t max_;
  std::string pending_;  // an incomplete line
  std::string name_, data_;
  bool has_data_ = false;
  bool stopped_ = false;
};

}  // namespace patchbay::agents
