// patchbay-fake-ilink: a fake of Tencent's iLink bot API (Weixin) for tests and offline demos.
//
//   patchbay-fake-ilink --listen 127.0.0.1:0 [--hold-ms 35000] [--accounts N] ...
//
// The first stdout line is one JSON object: {"listen", "base_url", "accounts":[{account_id,
// bot_token, user_id}]}; then it serves until SIGTERM/SIGINT. Logs go to stderr (never tokens).
// Usage and the control API: tools/fakes/README.md (## ilink).
#include <sys/resource.h>

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>

#include <algorithm>
#include <string>
#include <string_view>

#include "fake_cli.hpp"
#include "fake_http.hpp"
#include "fake_ilink.hpp"
#include "server.hpp"

namespace patchbay::fakes::ilink {
namespace {

namespace json = boost::json;
using common::parse_number;

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
  common::process_options process;
  server_options server;
  ilink::settings settings;
  bool poll_timeout_set = false;
  std::size_t accounts = 1;
};

// Returns 0 to run, else the exit code (2 usage error, -1 after --help).
int parse_args(int argc, char** argv, options& o) {
  const int rc = common::parse_command_line(
      argc, argv, "patchbay-fake-ilink", usage, o.process, {},
      [&](std::string_view a, std::string_view v) {
        std::uint64_t n = 0;
        if (a == "--hold-ms" && parse_number(v, 86'400'000, n)) {
          o.settings.hold_ms = static_cast<std::int64_t>(n);
        } else if (a == "--poll-timeout-ms" && parse_number(v, 86'400'000, n)) {
          o.settings.longpolling_timeout_ms = static_cast<std::int64_t>(n);
          o.poll_timeout_set = true;
        } else if (a == "--accounts" && parse_number(v, 100'000, n)) {
          o.accounts = static_cast<std::size_t>(n);
        } else if (a == "--max-connections" && parse_number(v, 1'000'000, n) && n > 0) {
          o.server.max_connections = static_cast<std::size_t>(n);
        } else {
          return false;
        }
        return true;
      });
  o.server.listen = o.process.listen;
  if (!o.poll_timeout_set) o.settings.longpolling_timeout_ms = o.settings.hold_ms;
  return rc;
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

int run(int argc, char** argv) {
  options o;
  if (const int rc = parse_args(argc, argv, o); rc != 0) return rc < 0 ? 0 : rc;
  return common::run_fake_process(
      "fake-ilink", o.process, [&](kit::io_runtime& rt, const common::serve_fn& serve) {
        raise_fd_limit(o.server.max_connections);
        fake_ilink fake(o.settings, o.process.seed);
        const auto accounts = fake.add_accounts(o.accounts);
        ilink_server server(rt, fake, o.server);
        serve(server, [&](const std::string& endpoint) {
          spdlog::info("serving the iLink bot API on http://{} ({} account(s), hold {} ms)",
                       endpoint, accounts.size(), o.settings.hold_ms);
          json::array list;
          for (const auto& a : accounts) {
            list.push_back(json::object{
                {"account_id", a.account_id}, {"bot_token", a.bot_token}, {"user_id", a.user_id}});
          }
          return json::object{{"listen", endpoint},
                              {"base_url", "http://" + endpoint},
                              {"accounts", std::move(list)}};
        });
      });
}

}  // namespace
}  // namespace patchbay::fakes::ilink

int main(int argc, char** argv) { return patchbay::fakes::ilink::run(argc, argv); }
