// patchbay-fake-ilink: a fake of Tencent's iLink bot API (Weixin) for tests and offline demos.
//
//   patchbay-fake-ilink --listen 127.0.0.1:0 [--hold-ms 35000] [--accounts N] ...
//
// The first stdout line is one JSON object: {"listen", "base_url", "accounts":[{account_id,
// bot_token, user_id}]}; then it serves until SIGTERM/SIGINT. Logs go to stderr (never tokens).
// Usage and the control API: tools/fakes/README.md (## ilink).
#include <sys/resource.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>
#include <random>
#include <string>
#include <string_view>

#include "fake_http.hpp"
#include "fake_ilink.hpp"
#include "server.hpp"

namespace ilink = patchbay::fakes::ilink;
namespace kit = patchbay::kit;
namespace json = boost::json;
using patchbay::fakes::common::parse_number;

namespace {

constexpr const char* usage =
    "usage: patchbay-fake-ilink [--listen HOST:PORT] [--hold-ms MS] [--poll-timeout-ms MS]\n"
    "                           [--accounts N] [--threads N] [--max-connections N] [--seed N]\n"
    "                           [--log-level trace|debug|info|warn|error]\n"
    "  --listen           where to serve plain HTTP (default 127.0.0.1:0, a free port)\n"
    "  --hold-ms          how long getupdates holds a poll without news (default 35000)\n"
    "  --poll-timeout-ms  longpolling_timeout_ms advertised in answers (default: the hold)\n"
    "  --accounts         bot accounts created at start (default 1)\n"
    "  --max-connections  concurrent connections, one per parked poll (default 8192)\n"
    "  --seed             ids and tokens are derived from it (default: random)\n";

struct options {
  ilink::server_options server;
  ilink::settings settings;
  bool poll_timeout_set = false;
  std::size_t accounts = 1;
  unsigned threads = 2;
  std::uint64_t seed = std::random_device{}();
  std::string log_level = "info";
};

// Returns 0 to run, else the exit code (2 usage error, 0 after --help).
int parse_args(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return -1;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "patchbay-fake-ilink: %s needs a value\n%s", argv[i], usage);
      return 2;
    }
    const std::string_view v = argv[++i];
    std::uint64_t n = 0;
    bool ok = true;
    if (a == "--listen") {
      o.server.listen = std::string(v);
    } else if (a == "--hold-ms" && (ok = parse_number(v, 86'400'000, n))) {
      o.settings.hold_ms = static_cast<std::int64_t>(n);
    } else if (a == "--poll-timeout-ms" && (ok = parse_number(v, 86'400'000, n))) {
      o.settings.longpolling_timeout_ms = static_cast<std::int64_t>(n);
      o.poll_timeout_set = true;
    } else if (a == "--accounts" && (ok = parse_number(v, 100'000, n))) {
      o.accounts = static_cast<std::size_t>(n);
    } else if (a == "--threads" && (ok = parse_number(v, 64, n) && n > 0)) {
      o.threads = static_cast<unsigned>(n);
    } else if (a == "--max-connections" && (ok = parse_number(v, 1'000'000, n) && n > 0)) {
      o.server.max_connections = static_cast<std::size_t>(n);
    } else if (a == "--seed" && (ok = parse_number(v, UINT64_MAX, n))) {
      o.seed = n;
    } else if (a == "--log-level") {
      o.log_level = std::string(v);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "patchbay-fake-ilink: bad option %s %s\n%s", argv[i - 1], argv[i],
                   usage);
      return 2;
    }
  }
  if (!o.poll_timeout_set) o.settings.longpolling_timeout_ms = o.settings.hold_ms;
  return 0;
}

// Every parked long poll holds a socket: lift the soft descriptor limit to the hard one.
void raise_fd_limit(std::size_t wanted) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= wanted + 64) return;
  rl.rlim_cur =
      rl.rlim_max == RLIM_INFINITY ? wanted + 64 : std::min<rlim_t>(rl.rlim_max, wanted + 64);
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) spdlog::warn("cannot raise the open-file limit");
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < wanted + 64) {
    spdlog::warn("open-file limit {} is below --max-connections {}",
                 static_cast<unsigned long long>(rl.rlim_cur), wanted);
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (const int rc = parse_args(argc, argv, o); rc != 0) return rc < 0 ? 0 : rc;

  spdlog::set_default_logger(spdlog::stderr_logger_mt("fake-ilink"));
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  raise_fd_limit(o.server.max_connections);

  try {
    ilink::fake_ilink fake(o.settings, o.seed);
    const auto accounts = fake.add_accounts(o.accounts);
    kit::io_runtime rt(o.threads);
    std::promise<int> signalled;
    std::atomic<bool> once{false};
    kit::signal_watch signals(rt, {SIGTERM, SIGINT}, [&](int sig) {
      if (!once.exchange(true)) signalled.set_value(sig);
    });
    ilink::ilink_server server(rt, fake, o.server);
    server.start();
    const std::string endpoint = server.local_endpoint();

    json::array list;
    for (const auto& a : accounts) {
      list.push_back(json::object{
          {"account_id", a.account_id}, {"bot_token", a.bot_token}, {"user_id", a.user_id}});
    }
    const json::object first{
        {"listen", endpoint}, {"base_url", "http://" + endpoint}, {"accounts", std::move(list)}};
    std::cout << json::serialize(first) << std::endl;  // the one line a test parses; flushed
    spdlog::info("serving the iLink bot API on http://{} ({} account(s), hold {} ms)", endpoint,
                 accounts.size(), o.settings.hold_ms);

    const int sig = signalled.get_future().get();
    spdlog::info("signal {}: stopping", sig);
    std::promise<void> stopped;
    server.stop(std::chrono::milliseconds(500), [&] { stopped.set_value(); });
    stopped.get_future().wait_for(std::chrono::seconds(5));
    rt.stop();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  spdlog::shutdown();
  return 0;
}
