// patchbay common: cuts a byte stream into lines (LF or CRLF; the terminator is not part of the
// line) with a bound on a line's size, for every reader of line-oriented outside input (NDJSON
// agent answers, a child process's stdout/stderr).
//
// A line longer than `max_line_bytes` (terminator excluded) is handled by the policy:
//   stop  the splitter stops: feed() returns false, overflowed() is true, later calls do nothing
//         (a stream that must not go on after garbage, e.g. an agent's answer);
//   skip  the line is dropped up to its newline, `on_overlong` is called once for it, and
//         splitting goes on with the next line (a log-like stream, e.g. a child's stderr).
// Memory is bounded by max_line_bytes + 1 whatever the input. Lines entirely inside one feed()
// are handed out without copying. An object is used by one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace patchbay::common {

class line_splitter {
 public:
  enum class overlong { stop, skip };

  explicit line_splitter(std::size_t max_line_bytes, overlong policy = overlong::stop)
      : max_(max_line_bytes), policy_(policy) {}

  // Calls `fn` with each complete line; `fn` returns false to stop. Returns false once stopped
  // (by `fn`, or by an overlong line under `stop`).
  bool feed(std::string_view bytes, const std::function<bool(std::string_view line)>& fn,
            const std::function<void()>& on_overlong = {});
  // The bytes after the last terminator (a last line without "\n" at the end of a stream); empty
  // while an overlong line is being skipped.
  std::string_view rest() const { return pending_; }
  bool overflowed() const { return overflowed_; }
  bool stopped() const { return stopped_; }

 private:
  // An overlong line was seen: stop, or start skipping it. Returns false when stopped.
  bool overlong_line(const std::function<void()>& on_overlong);

  std::size_t max_;
  overlong policy_;
  std::string pending_;
  bool skipping_ = false;
  bool overflowed_ = false;
  bool stopped_ = false;
};

}  // namespace patchbay::common
