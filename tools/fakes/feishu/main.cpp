// patchbay-fake-feishu: a fake of the Feishu/Lark open platform (long connection, Open API subset,
// webhook sender) for tests and offline demos.
//
//   patchbay-fake-feishu --listen 127.0.0.1:0 [--plain] [--tls-dir DIR] [--apps N] ...
//
// The first stdout line is one JSON object: {"listen","base_url","ca_file","apps":[{app_id,
// app_secret, encrypt_key, verification_token, bot_open_id, bot_name}]}; then it serves until
// SIGTERM/SIGINT. Logs go to stderr (never secrets). Contract: tools/fakes/README.md (## feishu).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <random>
#include <string>
#include <string_view>

#include "fake_feishu.hpp"
#include "fake_http.hpp"
#include "patchbay/kit/test_cert.hpp"
#include "server.hpp"

namespace feishu = patchbay::fakes::feishu;
namespace kit = patchbay::kit;
namespace json = boost::json;
using patchbay::fakes::common::parse_number;

namespace {

constexpr const char* usage =
    "usage: patchbay-fake-feishu [--listen HOST:PORT] [--plain] [--tls-dir DIR] [--apps N]\n"
    "                            [--threads N] [--seed N] [--log-level trace|debug|info|warn]\n"
    "  --listen     where to serve (default 127.0.0.1:0, a free port)\n"
    "  --plain      serve http:// and ws:// instead of https:// and wss://\n"
    "  --tls-dir    where the test CA and server certificate are written (default: a temp dir)\n"
    "  --apps       apps created at start (default 1)\n"
    "  --seed       ids and secrets are derived from it (default: random)\n";

struct options {
  feishu::server_options server;
  bool plain = false;
  std::string tls_dir;
  std::size_t apps = 1;
  unsigned threads = 2;
  std::uint64_t seed = std::random_device{}();
  std::string log_level = "info";
};

int parse_args(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return -1;
    }
    if (a == "--plain") {
      o.plain = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "patchbay-fake-feishu: %s needs a value\n%s", argv[i], usage);
      return 2;
    }
    const std::string_view v = argv[++i];
    std::uint64_t n = 0;
    bool ok = true;
    if (a == "--listen") {
      o.server.listen = std::string(v);
    } else if (a == "--tls-dir") {
      o.tls_dir = std::string(v);
    } else if (a == "--apps" && (ok = parse_number(v, 10'000, n) && n > 0)) {
      o.apps = static_cast<std::size_t>(n);
    } else if (a == "--threads" && (ok = parse_number(v, 64, n) && n > 0)) {
      o.threads = static_cast<unsigned>(n);
    } else if (a == "--seed" && (ok = parse_number(v, UINT64_MAX, n))) {
      o.seed = n;
    } else if (a == "--log-level") {
      o.log_level = std::string(v);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "patchbay-fake-feishu: bad option %s %s\n%s", argv[i - 1], argv[i],
                   usage);
      return 2;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (const int rc = parse_args(argc, argv, o); rc != 0) return rc < 0 ? 0 : rc;

  spdlog::set_default_logger(spdlog::stderr_logger_mt("fake-feishu"));
  spdlog::set_level(spdlog::level::from_str(o.log_level));

  try {
    std::string ca_file;
    std::string own_tls_dir;  // removed at exit (a --tls-dir is the caller's)
    if (!o.plain) {
      if (o.tls_dir.empty()) {
        char tmpl[] = "/tmp/pb-fake-feishu-tls-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("cannot create a temp dir for the certs");
        o.tls_dir = own_tls_dir = tmpl;
      }
      const auto certs = kit::make_test_certs(o.tls_dir);
      o.server.tls_cert_file = certs.cert_file;
      o.server.tls_key_file = certs.key_file;
      ca_file = certs.ca_file;
    }
    const auto t0 = std::chrono::steady_clock::now();
    feishu::fake_feishu fake(feishu::settings{}, o.seed, [t0] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - t0)
          .count();
    });
    const auto apps = fake.add_apps(o.apps);
    kit::io_runtime rt(o.threads);
    std::promise<int> signalled;
    std::atomic<bool> once{false};
    kit::signal_watch signals(rt, {SIGTERM, SIGINT}, [&](int sig) {
      if (!once.exchange(true)) signalled.set_value(sig);
    });
    feishu::feishu_server server(rt, fake, o.server);
    server.start();
    const std::string endpoint = server.local_endpoint();

    json::array list;
    for (const auto& a : apps) {
      list.push_back(json::object{{"app_id", a.app_id},
                                  {"app_secret", a.app_secret},
                                  {"encrypt_key", a.encrypt_key},
                                  {"verification_token", a.verification_token},
                                  {"bot_open_id", a.bot_open_id},
                                  {"bot_name", a.bot_name}});
    }
    const json::object first{{"listen", endpoint},
                             {"base_url", (o.plain ? "http://" : "https://") + endpoint},
                             {"ca_file", ca_file},
                             {"apps", std::move(list)}};
    std::cout << json::serialize(first) << std::endl;  // the one line a test parses; flushed
    spdlog::info("serving the fake Feishu/Lark platform on {}://{} ({} app(s))",
                 o.plain ? "http" : "https", endpoint, apps.size());

    const int sig = signalled.get_future().get();
    spdlog::info("signal {}: stopping", sig);
    std::promise<void> stopped;
    server.stop(std::chrono::milliseconds(500), [&] { stopped.set_value(); });
    stopped.get_future().wait_for(std::chrono::seconds(5));
    rt.stop();
    if (!own_tls_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(own_tls_dir, ec);
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  spdlog::shutdown();
  return 0;
}
