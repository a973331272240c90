// A real `patchbay run` child process on 127.0.0.1:0 with a generated config (zoo plugins, a
// secret and an API token from the environment), and helpers to talk to it over HTTP.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "patchbay/kit/http_client.hpp"

namespace pbtest {
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* secret = "sup3r-s3cret-value-7781";
constexpr const char* token = "tok-integration-42";

// `patchbay chat --url URL ARGS...` as a user runs it (the binary PB_PATCHBAY_BIN of the test
// target), with the API token in the environment unless `env` says otherwise.
struct chat_result {
  int rc;
  std::string out, err;
};
inline chat_result chat(const std::string& url, std::vector<std::string> args,
                        std::map<std::string, std::string> env = {{"PATCHBAY_TOKEN", token}}) {
  std::vector<std::string> argv{PB_PATCHBAY_BIN, "chat", "--url", url};
  argv.insert(argv.end(), args.begin(), args.end());
  chat_result r;
  r.rc = run_command(argv, r.out, r.err, env);
  return r;
}

struct host_fixture {
  fs::path dir;
  std::unique_ptr<pbtest::child_process> proc;
  std::string base;

  // `state_yaml`: the value of host.state (a PostgreSQL URL for replicas sharing one database).
  explicit host_fixture(const std::string& channels_yaml,
                        const std::string& agents_yaml = "  echo: { type: echo }\n",
                        const std::string& extra_host_yaml = "",
                        const std::string& state_yaml = "{ engine: sqlite, path: state.db }") {
    dir = fs::temp_directory_path() /
          ("pb_it_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(dir);
    std::ofstream(dir / "patchbay.yaml") << "host:\n"
                                            "  listen: \"127.0.0.1:0\"\n"
                                            "  plugin_dirs: [\"" PB_ZOO_DIR "\"]\n"
                                         << "  state: " << state_yaml << "\n"
                                         << "  api_tokens: [\"${PB_IT_TOKEN}\"]\n"
                                            "  log: { format: json, level: debug }\n"
                                            "  shutdown_timeout_ms: 5000\n"
                                         << extra_host_yaml << "agents:\n"
                                         << agents_yaml << "channels:\n"
                                         << channels_yaml;
    launch();
  }
  // (Re)starts the host on the same config and state; the old process must be gone.
  void launch() {
    base.clear();
    // A restart must not read the previous process's port from its log.
    fs::remove(dir / "err.log");
    fs::remove(dir / "out.log");
    proc = std::make_unique<pbtest::child_process>(
        std::vector<std::string>{PB_PATCHBAY_BIN, "run", "-c", (dir / "patchbay.yaml").string()},
        std::map<std::string, std::string>{{"PB_IT_SECRET", secret}, {"PB_IT_TOKEN", token}},
        (dir / "out.log").string(), (dir / "err.log").string());
    // The host logs the port it bound (listen: 127.0.0.1:0).
    std::regex re(R"(listening on http://(127\.0\.0\.1:\d+))");
    for (int i = 0; i < 1000 && base.empty(); ++i) {
      std::smatch m;
      std::string log = logs();
      if (std::regex_search(log, m, re))
        base = "http://" + m[1].str();
      else
        std::this_thread::sleep_for(10ms);
    }
  }
  ~host_fixture() {
    proc.reset();
    fs::remove_all(dir);
  }
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::string logs() const { return pbtest::read_file((dir / "err.log").string()); }
  // Polls the host's log until it contains `needle` (generous bound: ~10 s); returns the log.
  std::string wait_for_log(const std::string& needle) const {
    std::string log;
    for (int i = 0; i < 1000; ++i) {
      log = logs();
      if (log.find(needle) != std::string::npos) break;
      std::this_thread::sleep_for(10ms);
    }
    return log;
  }

  patchbay::kit::http_client_response get(const std::string& path, const std::string& bearer = "") {
    patchbay::kit::http_client_request req;
    req.url = base + path;
    req.total_timeout = 5s;
    if (!bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer);
    std::string err;
    patchbay::kit::http_client_response resp;
    patchbay::kit::http_fetch_blocking(req, err, resp);
    EXPECT_EQ(err, "") << path;
    return resp;
  }
  // POST `body` to `path` (with the API token when `auth`), generous total deadline.
  patchbay::kit::http_client_response post(const std::string& path, const std::string& body,
                                           bool auth = true,
                                           patchbay::kit::http_headers headers = {}) const {
    patchbay::kit::http_client_request req;
    req.method = "POST";
    req.url = base + path;
    req.body = body;
    req.headers = std::move(headers);
    if (auth) req.headers.emplace_back("Authorization", std::string("Bearer ") + token);
    req.total_timeout = 20s;
    std::string err;
    patchbay::kit::http_client_response resp;
    patchbay::kit::http_fetch_blocking(req, err, resp);
    EXPECT_EQ(err, "") << path;
    return resp;
  }
  // Polls until `path` answers `status` (generous bound: start-up on a loaded CI machine).
  bool wait_status(const std::string& path, unsigned status) {
    for (int i = 0; i < 1000; ++i) {
      if (get(path).status == status) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

}  // namespace pbtest
