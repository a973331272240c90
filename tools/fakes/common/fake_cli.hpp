// The process side every fake platform server shares (tools/fakes/*/main.cpp): the command line
// (--help, the options all fakes have, the fake's own ones through a callback), the first stdout
// line a test parses, and the run: logger on stderr, kit runtime, SIGTERM/SIGINT, orderly stop.
// No Asio header (the kit runtime is Asio-free in its interface).
//
// Threading: everything here runs on main's thread; `serve` builds the fake's objects there.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "patchbay/kit/runtime.hpp"

namespace patchbay::fakes::common {

class fake_http_server;

// The options every fake takes.
struct process_options {
  std::string listen = "127.0.0.1:0";  // --listen HOST:PORT (port 0: a free one)
  unsigned threads = 2;                // --threads 1..64
  std::uint64_t seed = 0;              // --seed N (default: random)
  std::string log_level = "info";      // --log-level trace|debug|info|warn|error
};

// Called for every other option: `name` ("--foo") and its value ("" for a name in `flags`).
// Returns false for an unknown name or a bad value.
using option_fn = std::function<bool(std::string_view name, std::string_view value)>;

// Parses argv. --help/-h prints `usage` to stdout and returns -1; a missing value or a bad option
// prints "<program>: ..." and `usage` to stderr and returns 2; else 0 (run). `common.seed` is set
// to a random number first.
int parse_command_line(int argc, char** argv, std::string_view program, const char* usage,
                       process_options& common, std::initializer_list<std::string_view> flags,
                       const option_fn& on_option);

// The first stdout line for the bound "host:port".
using first_line_fn = std::function<boost::json::object(const std::string& endpoint)>;
// Starts `server`, prints first_line(its endpoint) as one line (flushed: what a test waits for),
// blocks until SIGTERM or SIGINT, then stops `server` (500 ms grace, waiting up to 5 s for its
// connections) and the runtime. Called once, from inside `setup`.
using serve_fn = std::function<void(fake_http_server& server, const first_line_fn& first_line)>;

// Runs a fake: stderr logger `logger` at `o.log_level`, a kit runtime with `o.threads`, a watch
// for SIGTERM/SIGINT, then `setup(rt, serve)`, which builds the fake and its server and calls
// serve. Returns main's exit code: 0, or 1 after logging what threw.
int run_fake_process(const std::string& logger, const process_options& o,
                     const std::function<void(kit::io_runtime& rt, const serve_fn& serve)>& setup);

}  // namespace patchbay::fakes::common
