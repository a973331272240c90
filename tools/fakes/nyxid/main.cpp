// patchbay-fake-nyxid: a fake NyxID (channel relay, OIDC/JWKS, proxy, OAuth broker) for tests
// and offline demos.
//
//   patchbay-fake-nyxid --listen 127.0.0.1:0 [--callback-url URL] [--issuer URL] [--api-key K]
//                       [--proxy-slug SLUG] [--key-alg RS256|ES256] [--seed N] [--threads N]
//
// The first stdout line is one JSON object (listen, base_url, issuer, audience, api_key, ...);
// then it serves until SIGTERM/SIGINT. Logs go to stderr (never tokens).
// Usage and the control API: tools/fakes/README.md (## nyxid).
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

#include "fake_cli.hpp"
#include "fake_nyxid.hpp"
#include "server.hpp"

namespace patchbay::fakes::nyxid {
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
  common::process_options process;
  startup_options fake;
};

int parse_args(int argc, char** argv, options& o) {
  return common::parse_command_line(argc, argv, "patchbay-fake-nyxid", usage, o.process, {},
                                    [&](std::string_view a, std::string_view v) {
                                      if (a == "--callback-url")
                                        o.fake.callback_url = std::string(v);
                                      else if (a == "--issuer")
                                        o.fake.issuer = std::string(v);
                                      else if (a == "--api-key")
                                        o.fake.api_key = std::string(v);
                                      else if (a == "--proxy-slug")
                                        o.fake.proxy_slug = std::string(v);
                                      else if (a == "--key-alg" && (v == "RS256" || v == "ES256"))
                                        o.fake.key_alg = std::string(v);
                                      else
                                        return false;
                                      return true;
                                    });
}

int run(int argc, char** argv) {
  options o;
  if (const int rc = parse_args(argc, argv, o); rc != 0) return rc < 0 ? 0 : rc;
  return common::run_fake_process(
      "fake-nyxid", o.process, [&](kit::io_runtime& rt, const common::serve_fn& serve) {
        fake_nyxid fake(o.fake, o.process.seed);
        nyxid_server server(rt, fake, o.process.listen);
        serve(server, [&](const std::string& endpoint) {
          spdlog::info("serving a fake NyxID on http://{} (issuer {})", endpoint, fake.issuer());
          return fake.startup_info(endpoint);
        });
      });
}

}  // namespace
}  // namespace patchbay::fakes::nyxid

int main(int argc, char** argv) { return patchbay::fakes::nyxid::run(argc, argv); }
