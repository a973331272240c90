// patchbay-fake-openai: an OpenAI-compatible /v1/chat/completions server on loopback, with fault
// injection, for tests and offline demos (tools/fakes/README.md, "openai").
//
//   patchbay-fake-openai [--listen 127.0.0.1:0] [--api-key KEY] [--model NAME]
//                        [--chunk-delay-ms N] [--chunks N]
//
// The first stdout line is one JSON object: {"listen", "base_url", "api_key", "model"}. Runs until
// SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <future>
#include <iostream>
#include <random>
#include <string>

#include <boost/json.hpp>

#include "fake_server.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "patchbay-fake-openai: %s\nusage: patchbay-fake-openai [--listen HOST:PORT] "
               "[--api-key KEY] [--model NAME] [--chunk-delay-ms N] [--chunks N]\n",
               why);
  return 2;
}

std::string random_key() {
  std::random_device rd;
  std::string key = "sk-fake-";
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) key += hex[rd() % 16];
  return key;
}

bool to_int(const char* s, long min, long max, long& out) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  namespace kit = patchbay::kit;
  std::string listen = "127.0.0.1:0";
  fake_openai::fake_config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing value after " + a).c_str());
    const char* v = argv[++i];
    long n = 0;
    if (a == "--listen")
      listen = v;
    else if (a == "--api-key")
      cfg.api_key = v;
    else if (a == "--model")
      cfg.model = v;
    else if (a == "--chunk-delay-ms" && to_int(v, 0, 600'000, n))
      cfg.chunk_delay = std::chrono::milliseconds(n);
    else if (a == "--chunks" && to_int(v, 1, 10'000, n))
      cfg.chunks = static_cast<int>(n);
    else
      return usage(("bad option or value: " + a).c_str());
  }
  if (cfg.api_key.empty()) cfg.api_key = random_key();

  kit::io_runtime rt(2);
  fake_openai::fake_server fake(rt, cfg);
  kit::http_server_options opt;
  opt.listen = listen;
  opt.max_body_bytes = 8 << 20;
  kit::http_server server(
      rt, opt, [&fake](const std::shared_ptr<kit::http_exchange>& ex) { fake.handle(ex); });
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "patchbay-fake-openai: %s\n", e.what());
    return 1;
  }
  const std::string ep = server.local_endpoint();
  std::cout << boost::json::serialize(boost::json::object{{"listen", ep},
                                                          {"base_url", "http://" + ep + "/v1"},
                                                          {"api_key", cfg.api_key},
                                                          {"model", cfg.model}})
            << std::endl;

  std::promise<void> quit;
  std::once_flag once;
  kit::signal_watch signals(rt, {SIGINT, SIGTERM},
                            [&](int) { std::call_once(once, [&] { quit.set_value(); }); });
  quit.get_future().wait();
  std::promise<void> stopped;
  server.stop(std::chrono::milliseconds(200), [&] { stopped.set_value(); });
  stopped.get_future().wait_for(std::chrono::seconds(2));
  rt.stop();
  return 0;
}
