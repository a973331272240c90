// patchbay host logging: spdlog with an asynchronous, bounded queue (a log call never blocks on
// the terminal or a slow disk; under overload the oldest lines are dropped and counted), in text
// or JSON-lines format. Log text must never contain secrets: config values, tokens and plugin
// configuration are never passed here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace patchbay::logging {

struct options {
  bool json = false;
  std::string level = "info";  // trace, debug, info, warn, error
  std::size_t queue_size = 8192;
  std::shared_ptr<spdlog::sinks::sink> sink;  // null: stderr (tests pass their own)
};

// Installs the default logger (stderr), and routes the kit's diagnostics (exceptions it swallows,
// connections that failed: patchbay/kit/diagnostics.hpp) into it. Call once at start-up; safe to
// call again to reconfigure.
void init(const options& opt);
// Flushes and stops the async logger thread (call at exit).
void shutdown();
// Lines dropped because the queue was full, since start.
uint64_t dropped_lines();

// Lines about a channel or a turn start with common::log_tag({.channel = id, .turn = turn}) (see
// patchbay/common/log_subject.hpp): the formatters print the ids as the JSON fields "channel" and
// "turn", or as a text prefix "[channel=<id> turn=<id>] ".

// Escapes a string for inclusion inside a JSON string literal (no surrounding quotes); invalid
// UTF-8 bytes become U+FFFD.
std::string json_escape(std::string_view s);

}  // namespace patchbay::logging
