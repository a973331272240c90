// How kit code reports an exception it swallows (private header: kit/src only). Every such line
// goes through the diagnostic sink of patchbay/kit/diagnostics.hpp, never straight to stderr.
#pragma once

#include "patchbay/kit/diagnostics.hpp"

#include <exception>
#include <string_view>
#include <utility>

namespace patchbay::kit::detail {

// Reports `e` (nothing when it is null) as "<what>: <e.what()>", or "<what>: a non-standard
// exception" when it is not a std::exception.
void report_exception(std::string_view what, std::exception_ptr e,
                      diagnostic_level level = diagnostic_level::error) noexcept;
// Reports an exception thrown by an application callback: "<callback> threw: <e.what()>".
void report_callback_exception(std::string_view callback, std::exception_ptr e) noexcept;

// Runs fn(args...) when fn is set; an exception is reported as "<what> threw: ..." and never
// propagated. `what` names the callback, e.g. "http_server on_stopped".
template <class Fn, class... Args>
void call_quietly(std::string_view what, Fn& fn, Args&&... args) noexcept {
  if (!fn) return;
  try {
    fn(std::forward<Args>(args)...);
  } catch (...) {
    report_callback_exception(what, std::current_exception());
  }
}

}  // namespace patchbay::kit::detail
