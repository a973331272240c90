// What the process-orchestrating benchmarks (weixin_bench, feishu_bench) share: blocking HTTP
// calls, /proc figures, polling with a limit, a fake server child (its first stdout line parsed)
// and a `patchbay run` child on a generated config.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "patchbay/kit/http_client.hpp"

namespace pbbench {
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

// How many call()s were made: each is one TCP connection (http_fetch_blocking pools nothing).
inline std::atomic<std::size_t> g_calls{0};

// A blocking call; null (and a line on stderr) unless it answered 200 with JSON.
inline json::value call(const std::string& url, const std::string& method = "GET",
                        const std::string& body = "", const std::string& ca_file = "") {
  patchbay::kit::http_client_request req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.ca_file = ca_file;
  req.total_timeout = 60s;
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  std::string err;
  patchbay::kit::http_client_response resp;
  ++g_calls;
  patchbay::kit::http_fetch_blocking(req, err, resp);
  if (!err.empty() || resp.status != 200) {
    std::fprintf(stderr, "%s %s: %s HTTP %u\n", method.c_str(), url.c_str(), err.c_str(),
                 resp.status);
    return {};
  }
  boost::system::error_code ec;
  auto v = json::parse(resp.body, ec);
  return ec ? json::value() : v;
}

// A numeric field of /proc/PID/status ("VmRSS" in kB, "Threads").
inline long proc_status(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}
inline long rss_kb(pid_t pid) { return proc_status(pid, "VmRSS"); }

// CPU time (user + system) the process used so far, in milliseconds (/proc/PID/stat).
inline double cpu_ms(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = all.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return 1000.0 * double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

// The client ports of the TCP connections to 127.0.0.1:`server_port` the kernel knows now, in any
// state (TIME_WAIT included, so connections closed in the last minute count), from either side's
// entry in /proc/net/tcp. Sampled during a run, it counts the connections opened meanwhile.
inline void add_tcp_client_ports(unsigned server_port, std::set<unsigned>& out) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote;
    f >> sl >> local >> remote;
    const auto port_of = [](const std::string& a) {
      const auto c = a.find(':');
      return c == std::string::npos ? 0u : unsigned(std::stoul(a.substr(c + 1), nullptr, 16));
    };
    const unsigned lp = port_of(local), rp = port_of(remote);
    if (lp == server_port && rp != 0) out.insert(rp);  // the server's side
    if (rp == server_port) out.insert(lp);             // the client's side
  }
}

// Polls `pred` every `interval` until it holds or `limit` passes.
template <class Pred>
bool wait_for(Pred pred, std::chrono::seconds limit,
              std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
  const auto end = clk::now() + limit;
  while (clk::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(interval);
  }
  return pred();
}

inline double seconds_since(clk::time_point t0) {
  return std::chrono::duration<double>(clk::now() - t0).count();
}

// A fake platform server (tools/fakes/<platform>) started with --listen 127.0.0.1:0 plus `args`;
// `info` is its first stdout line.
struct fake_child {
  std::unique_ptr<pbtest::child_process> proc;
  json::object info;
  std::string base, ca_file;
  fake_child(const std::string& binary, std::vector<std::string> args, const fs::path& dir) {
    std::vector<std::string> argv{binary, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    proc = std::make_unique<pbtest::child_process>(argv, std::map<std::string, std::string>{},
                                                   (dir / "fake.out").string(),
                                                   (dir / "fake.err").string());
    wait_for(
        [&] {
          return pbtest::read_file((dir / "fake.out").string()).find('\n') != std::string::npos;
        },
        30s);
    std::string out = pbtest::read_file((dir / "fake.out").string());
    boost::system::error_code ec;
    auto v = json::parse(out.substr(0, out.find('\n')), ec);
    if (ec || !v.is_object()) {
      std::fprintf(stderr, "%s did not start\n", binary.c_str());
      return;
    }
    info = v.as_object();
    if (auto* b = info.if_contains("base_url"); b && b->is_string()) base = b->as_string();
    if (auto* c = info.if_contains("ca_file"); c && c->is_string()) ca_file = c->as_string();
  }
  json::value control(const std::string& path, const std::string& method = "GET",
                      const std::string& body = "") const {
    return call(base + path, method, body, ca_file);
  }
};

// `patchbay run` on `dir`/patchbay.yaml = the host block (sqlite state in `dir`, JSON logs at
// `log_level`: at most info, the level of the "listening on" line waited for) +
// `agents_and_channels`; `env` is added to the host's environment only.
// The production trust path for a fake's throw-away CA: a PEM bundle in `dir` holding the system
// store's bundle (OpenSSL's default certificate file) followed by `ca_file`, for the host's
// SSL_CERT_FILE. OpenSSL's default verify paths (what the kit uses when no ca_file is configured)
// read that variable, so the plugin trusts the fake exactly as it trusts a real platform. Empty
// when a file cannot be read.
inline std::string system_bundle_with(const std::string& ca_file, const fs::path& dir) {
  const char* env = std::getenv(X509_get_default_cert_file_env());
  const std::string system = env != nullptr ? env : X509_get_default_cert_file();
  std::ifstream a(system, std::ios::binary), b(ca_file, std::ios::binary);
  if (!a || !b) {
    std::fprintf(stderr, "cannot read %s or %s\n", system.c_str(), ca_file.c_str());
    return {};
  }
  const fs::path out = dir / "trust-bundle.pem";
  std::ofstream o(out, std::ios::binary);
  o << a.rdbuf() << '\n' << b.rdbuf();
  return o ? out.string() : std::string();
}

struct host_child {
  std::unique_ptr<pbtest::child_process> proc;
  std::string base;
  fs::path dir;
  host_child(const fs::path& d, const std::string& agents_and_channels,
             const std::string& log_level = "info", std::map<std::string, std::string> env = {})
      : dir(d) {
    std::ofstream cfg(dir / "patchbay.yaml");
    cfg << "host:\n  listen: \"127.0.0.1:0\"\n  state: { engine: sqlite, path: state.db }\n"
           "  api_tokens: [\"bench-token\"]\n  log: { format: json, level: "
        << log_level << " }\n"
        << agents_and_channels;
    cfg.close();
    proc = std::make_unique<pbtest::child_process>(
        std::vector<std::string>{PB_PATCHBAY_BIN, "run", "-c", (dir / "patchbay.yaml").string()},
        std::move(env), (dir / "host.out").string(), (dir / "host.err").string());
    std::regex re(R"(listening on http://(127\.0\.0\.1:\d+))");
    wait_for(
        [&] {
          std::smatch m;
          std::string log = logs();
          if (std::regex_search(log, m, re)) base = "http://" + m[1].str();
          return !base.empty();
        },
        120s);
  }
  ~host_child() {
    if (!proc) return;
    proc->signal(SIGTERM);
    proc->wait(60s);
  }
  std::string logs() const { return pbtest::read_file((dir / "host.err").string()); }
};

}  // namespace pbbench
