// patchbay-fake-nyxid: a fake NyxID (channel relay, OIDC/JWKS, proxy, OAuth broker) for tests
// and offline demos.
//
//   patchbay-fake-nyxid --listen 127.0.0.1:0 [--callback-url URL] [--issuer URL] [--api-key K]
//                       [--proxy-slug SLUG] [--key-alg RS256|ES256] [--seed N] [--threads N]
//
// The first stdout line is one JSON object (listen, base_url, issuer, audience, api_key, ...);
// then it serves until SIGTERM/SIGINT. Logs go to stderr (never tokens).
// Usage and the control API: tools/fakes/README.md (## nyxid).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>
#include <random>
#include <string>
#include <string_view>

#include "fake_nyxid.hpp"
#include "server.hpp"

namespace nyx = patchbay::fakes::nyxid;
namespace kit = patchbay::kit;

namespace {

constexpr const char* usage =
    "usage: patchbay-fake-nyxid [--listen HOST:PORT] [--callback-url URL] [--issuer URL]\n"
    "                           [--api-key KEY] [--proxy-slug SLUG] [--key-alg RS256|ES256]\n"
    "                           [--seed N] [--threads N] [--log-level LEVEL]\n"
    "  --listen        where to serve plain HTTP (default 127.0.0.1:0, a free port)\n"
    "  --callback-url  where injected messages are POSTed (the bot's /hooks/<channel-id>)\n"
    "  --issuer        the JWT issuer (default: the base URL)\n"
    "  --api-key       the agent API key (default: a generated nyxid_ag_...)\n"
    "  --proxy-slug    the slug printed as proxy_base (default api-lark-bot; any slug works)\n"
    "  --key-alg       the first signing key's algorithm (default RS256)\n"
    "  --seed          ids are derived from it (default: random; keys are always random)\n";

struct options {
  std::string listen = "127.0.0.1:0";
  nyx::startup_options fake;
  std::uint64_t seed = std::random_device{}();
  unsigned threads = 2;
  std::string log_level = "info";
};

int parse_args(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return -1;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "patchbay-fake-nyxid: %s needs a value\n%s", argv[i], usage);
      return 2;
    }
    const std::string v = argv[++i];
    bool ok = true;
    try {
      if (a == "--listen") o.listen = v;
      else if (a == "--callback-url") o.fake.callback_url = v;
      else if (a == "--issuer") o.fake.issuer = v;
      else if (a == "--api-key") o.fake.api_key = v;
      else if (a == "--proxy-slug") o.fake.proxy_slug = v;
      else if (a == "--key-alg" && (v == "RS256" || v == "ES256")) o.fake.key_alg = v;
      else if (a == "--seed") o.seed = std::stoull(v);
      else if (a == "--threads") o.threads = static_cast<unsigned>(std::stoul(v));
      else if (a == "--log-level") o.log_level = v;
      else ok = false;
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok || o.threads == 0 || o.threads > 64) {
      std::fprintf(stderr, "patchbay-fake-nyxid: bad option %s %s\n%s", argv[i - 1], argv[i], usage);
      return 2;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (const int rc = parse_args(argc, argv, o); rc != 0) return rc < 0 ? 0 : rc;
  spdlog::set_default_logger(spdlog::stderr_logger_mt("fake-nyxid"));
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  try {
    nyx::fake_nyxid fake(o.fake, o.seed);
    kit::io_runtime rt(o.threads);
    std::promise<int> signalled;
    std::atomic<bool> once{false};
    kit::signal_watch signals(rt, {SIGTERM, SIGINT}, [&](int sig) {
      if (!once.exchange(true)) signalled.set_value(sig);
    });
    nyx::nyxid_server server(rt, fake, o.listen);
    server.start();
    const std::string endpoint = server.local_endpoint();
    std::cout << boost::json::serialize(fake.startup_info(endpoint)) << std::endl;
    spdlog::info("serving a fake NyxID on http://{} (issuer {})", endpoint, fake.issuer());

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
