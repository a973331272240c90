// patchbay-fake-feishu: a fake of the Feishu/Lark open platform (long connection, Open API subset,
// webhook sender) for tests and offline demos.
//
//   patchbay-fake-feishu --listen 127.0.0.1:0 [--plain] [--tls-dir DIR] [--apps N] ...
//
// The first stdout line is one JSON object: {"listen","base_url","ca_file","apps":[{app_id,
// app_secret, encrypt_key, verification_token, bot_open_id, bot_name}]}; then it serves until
// SIGTERM/SIGINT. Logs go to stderr (never secrets). Contract: tools/fakes/README.md (## feishu).
#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fake_cli.hpp"
#include "fake_feishu.hpp"
#include "fake_http.hpp"
#include "patchbay/kit/test_cert.hpp"
#include "server.hpp"

namespace patchbay::fakes::feishu {
namespace {

namespace json = boost::json;
using common::parse_number;

constexpr const char* usage =
    "usage: patchbay-fake-feishu [--listen HOST:PORT] [--plain] [--tls-dir DIR] [--apps N]\n"
    "                            [--threads N] [--seed N] [--log-level trace|debug|info|warn]\n"
    "  --listen     where to serve (default 127.0.0.1:0, a free port)\n"
    "  --plain      serve http:// and ws:// instead of https:// and wss://\n"
    "  --tls-dir    where the test CA and server certificate are written (default: a temp dir)\n"
    "  --apps       apps created at start (default 1)\n"
    "  --seed       ids and secrets are derived from it (default: random)\n";

struct options {
  common::process_options process;
  server_options server;
  bool plain = false;
  std::string tls_dir;
  std::size_t apps = 1;
};

int parse_args(int argc, char** argv, options& o) {
  const int rc = common::parse_command_line(
      argc, argv, "patchbay-fake-feishu", usage, o.process, {"--plain"},
      [&](std::string_view a, std::string_view v) {
        std::uint64_t n = 0;
        if (a == "--plain") {
          o.plain = true;
        } else if (a == "--tls-dir") {
          o.tls_dir = std::string(v);
        } else if (a == "--apps" && parse_number(v, 10'000, n) && n > 0) {
          o.apps = static_cast<std::size_t>(n);
        } else {
          return false;
        }
        return true;
      });
  o.server.listen = o.process.listen;
  return rc;
}

// An app's credentials as the first line lists them.
json::object app_json(const app_creds& a) {
  return {{"app_id", a.app_id},           {"app_secret", a.app_secret},
          {"encrypt_key", a.encrypt_key}, {"verification_token", a.verification_token},
          {"bot_open_id", a.bot_open_id}, {"bot_name", a.bot_name}};
}

// Writes the test CA and server certificate (into --tls-dir, else a temp dir returned in
// `own_dir` for removal at exit) and points the server at them; returns the CA file.
std::string make_certs(options& o, std::string& own_dir) {
  if (o.tls_dir.empty()) {
    char tmpl[] = "/tmp/pb-fake-feishu-tls-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("cannot create a temp dir for the certs");
    o.tls_dir = own_dir = tmpl;
  }
  const auto certs = kit::make_test_certs(o.tls_dir);
  o.server.tls_cert_file = certs.cert_file;
  o.server.tls_key_file = certs.key_file;
  return certs.ca_file;
}

int run(int argc, char** argv) {
  options o;
  if (const int rc = parse_args(argc, argv, o); rc != 0) return rc < 0 ? 0 : rc;
  return common::run_fake_process(
      "fake-feishu", o.process, [&](kit::io_runtime& rt, const common::serve_fn& serve) {
        std::string own_tls_dir;  // removed at exit (a --tls-dir is the caller's)
        const std::string ca_file = o.plain ? std::string() : make_certs(o, own_tls_dir);
        const auto t0 = std::chrono::steady_clock::now();
        fake_feishu fake(settings{}, o.process.seed, [t0] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0)
              .count();
        });
        const auto apps = fake.add_apps(o.apps);
        feishu_server server(rt, fake, o.server);
        serve(server, [&](const std::string& endpoint) {
          spdlog::info("serving the fake Feishu/Lark platform on {}://{} ({} app(s))",
                       o.plain ? "http" : "https", endpoint, apps.size());
          json::array list;
          for (const auto& a : apps) list.push_back(app_json(a));
          return json::object{{"listen", endpoint},
                              {"base_url", (o.plain ? "http://" : "https://") + endpoint},
                              {"ca_file", ca_file},
                              {"apps", std::move(list)}};
        });
        if (!own_tls_dir.empty()) {
          std::error_code ec;
          std::filesystem::remove_all(own_tls_dir, ec);
        }
      });
}

}  // namespace
}  // namespace patchbay::fakes::feishu

int main(int argc, char** argv) { return patchbay::fakes::feishu::run(argc, argv); }
