// The kit's diagnostic sink (see patchbay/kit/diagnostics.hpp) and the helpers kit code uses to
// report a swallowed exception through it.
#include "patchbay/kit/diagnostics.hpp"

#include "diagnostics_detail.hpp"

#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace patchbay::kit {
namespace {

void write_to_stderr(std::string_view text) noexcept {
  std::fprintf(stderr, "patchbay kit: %.*s\n", static_cast<int>(text.size()), text.data());
}

// Normally set once before kit threads exist, but a later change must not race with a report:
// the lock covers only the pointer copy, the sink runs unlocked (it may be slow, or report).
struct sink_slot {
  std::mutex mtx;
  std::shared_ptr<const diagnostic_sink> sink;
};

sink_slot& slot() {
  static sink_slot s;
  return s;
}

}  // namespace

void set_diagnostic_sink(diagnostic_sink sink) {
  auto next = sink ? std::make_shared<const diagnostic_sink>(std::move(sink)) : nullptr;
  std::lock_guard lock(slot().mtx);
  slot().sink.swap(next);
  // The previous sink is released here, unlocked (`next` now holds it).
}

void report_diagnostic(diagnostic_level level, std::string_view text) noexcept {
  std::shared_ptr<const diagnostic_sink> sink;
  {
    std::lock_guard lock(slot().mtx);
    sink = slot().sink;
  }
  if (!sink) {
    write_to_stderr(text);
    return;
  }
  try {
    (*sink)(level, text);
  } catch (...) {
    write_to_stderr(text);
  }
}

namespace detail {
namespace {

// "<what><suffix>: <detail>"; built inside a try so that running out of memory loses the detail,
// not the line.
void report_with_detail(std::string_view what, std::string_view suffix, std::exception_ptr e,
                        diagnostic_level level) noexcept {
  if (!e) return;
  try {
    std::string line(what);
    line += suffix;
    try {
      std::rethrow_exception(std::move(e));
    } catch (const std::exception& ex) {
      line += ": ";
      line += ex.what();
    } catch (...) {
      line += ": a non-standard exception";
    }
    report_diagnostic(level, line);
  } catch (...) {
    report_diagnostic(level, what);
  }
}

}  // namespace

void report_exception(std::string_view what, std::exception_ptr e,
                      diagnostic_level level) noexcept {
  report_with_detail(what, "", std::move(e), level);
}

void report_callback_exception(std::string_view callback, std::exception_ptr e) noexcept {
  report_with_detail(callback, " threw", std::move(e), diagnostic_level::error);
}

}  // namespace detail
}  // namespace patchbay::kit
