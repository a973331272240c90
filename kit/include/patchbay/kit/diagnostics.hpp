// patchbay kit: where the kit reports what it cannot return to anyone: an exception thrown by an
// application callback (handler, on_close, done...) and swallowed so the I/O keeps running, or a
// connection that failed inside the kit. One sink for all of it, so an application with its own
// logging (the host's JSON lines) gets these lines in its format instead of raw text on stderr.
//
// Thread safety: set the sink once at start-up, before kit threads run (the host does it when it
// initialises logging). Changing it later is safe too, but a line reported at that moment may
// still reach the previous sink, so whatever that sink uses must stay valid. The sink is called
// from any kit thread, possibly from several at once: it must be thread-safe and must not block
// for long. It should not throw; if it does, the line goes to stderr instead.
#pragma once

#include <functional>
#include <string_view>

namespace patchbay::kit {

enum class diagnostic_level {
  warning,  // a connection failed inside the kit and was closed
  error,    // an application callback threw (the exception was swallowed) or a kit task failed
};

// `text` is one line without a trailing newline, e.g. "http handler threw: boom"; it is only
// valid during the call.
using diagnostic_sink = std::function<void(diagnostic_level, std::string_view text)>;

// Replaces the sink; an empty function restores the default, which writes
// "patchbay kit: <text>\n" to stderr.
void set_diagnostic_sink(diagnostic_sink sink);

// Passes one line to the current sink. Never throws.
void report_diagnostic(diagnostic_level level, std::string_view text) noexcept;

}  // namespace patchbay::kit
