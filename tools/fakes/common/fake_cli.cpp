#include "fake_cli.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>
#include <random>

#include "fake_http.hpp"
#include "fake_server.hpp"

namespace patchbay::fakes::common {

namespace {

// The options all fakes share; false: not one of them (`ok` says whether its value was good).
bool common_option(std::string_view a, std::string_view v, process_options& o, bool& ok) {
  std::uint64_t n = 0;
  if (a == "--listen") {
    o.listen = std::string(v);
  } else if (a == "--threads") {
    if ((ok = parse_number(v, 64, n) && n > 0)) o.threads = static_cast<unsigned>(n);
  } else if (a == "--seed") {
    if ((ok = parse_number(v, UINT64_MAX, n))) o.seed = n;
  } else if (a == "--log-level") {
    o.log_level = std::string(v);
  } else {
    return false;
  }
  return true;
}

void print_first_line(const boost::json::object& line) {
  std::cout << boost::json::serialize(line) << std::endl;  // the one line a test parses; flushed
}

}  // namespace

int parse_command_line(int argc, char** argv, std::string_view program, const char* usage,
                       process_options& common, std::initializer_list<std::string_view> flags,
                       const option_fn& on_option) {
  common.seed = std::random_device{}();
  const std::string prog(program);
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return -1;
    }
    if (std::find(flags.begin(), flags.end(), a) != flags.end()) {
      if (on_option(a, {})) continue;
      std::fprintf(stderr, "%s: bad option %s\n%s", prog.c_str(), argv[i], usage);
      return 2;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\n%s", prog.c_str(), argv[i], usage);
      return 2;
    }
    const std::string_view v = argv[++i];
    bool ok = true;
    if (!common_option(a, v, common, ok)) ok = on_option(a, v);
    if (!ok) {
      std::fprintf(stderr, "%s: bad option %s %s\n%s", prog.c_str(), argv[i - 1], argv[i], usage);
      return 2;
    }
  }
  return 0;
}

int run_fake_process(const std::string& logger, const process_options& o,
                     const std::function<void(kit::io_runtime&, const serve_fn&)>& setup) {
  spdlog::set_default_logger(spdlog::stderr_logger_mt(logger));
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  try {
    kit::io_runtime rt(o.threads);
    std::promise<int> signalled;
    std::atomic<bool> once{false};
    kit::signal_watch signals(rt, {SIGTERM, SIGINT}, [&](int sig) {
      if (!once.exchange(true)) signalled.set_value(sig);
    });
    setup(rt, [&](fake_http_server& server, const first_line_fn& first_line) {
      server.start();
      print_first_line(first_line(server.local_endpoint()));
      const int sig = signalled.get_future().get();
      spdlog::info("signal {}: stopping", sig);
      std::promise<void> stopped;
      server.stop(std::chrono::milliseconds(500), [&] { stopped.set_value(); });
      stopped.get_future().wait_for(std::chrono::seconds(5));
      // Joined before serve's objects (the fake, the server) go: no handler outlives them.
      rt.stop();
    });
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  spdlog::shutdown();
  return 0;
}

}  // namespace patchbay::fakes::common
