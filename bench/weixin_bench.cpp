// Weixin plugin figures against the fake iLink server, through a real `patchbay run` with the
// echo agent:
//   1. messages/s through one account: N messages injected at the fake (from 50 users), timed
//      until the fake has received all N replies (poll → host → echo agent → sendmessage);
//   2. resident memory of the host with 1 and with A idle accounts (one channel each, every
//      account parked in a long poll), and the difference per account.
//
//   weixin_bench [--messages N] [--accounts A] [--extra-config 'key: value']
//
// A plain program (not Google Benchmark): it orchestrates processes. Built with
// PATCHBAY_BUILD_BENCH=ON: build-bench/bench/weixin_bench.
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "patchbay/kit/http_client.hpp"

namespace {
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

struct account {
  std::string id, token;
};

json::value call(const std::string& url, const std::string& method = "GET",
                 const std::string& body = "") {
  patchbay::kit::http_client_request req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.total_timeout = 30s;
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  std::string err;
  patchbay::kit::http_client_response resp;
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
long proc_status(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}
long rss_kb(pid_t pid) { return proc_status(pid, "VmRSS"); }

template <class Pred>
bool wait_for(Pred pred, std::chrono::seconds limit) {
  const auto end = clk::now() + limit;
  while (clk::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

struct fake_server {
  std::unique_ptr<pbtest::child_process> proc;
  std::string base;
  std::vector<account> accounts;
  fake_server(const fs::path& dir, size_t n) {
    proc = std::make_unique<pbtest::child_process>(
        std::vector<std::string>{PB_FAKE_ILINK_BIN, "--listen", "127.0.0.1:0", "--accounts",
                                 std::to_string(n), "--hold-ms", "30000", "--log-level", "warn"},
        std::map<std::string, std::string>{}, (dir / "fake.out").string(),
        (dir / "fake.err").string());
    wait_for(
        [&] {
          return pbtest::read_file((dir / "fake.out").string()).find('\n') != std::string::npos;
        },
        30s);
    std::string out = pbtest::read_file((dir / "fake.out").string());
    auto v = json::parse(out.substr(0, out.find('\n'))).as_object();
    base = std::string(v.at("base_url").as_string());
    for (const auto& a : v.at("accounts").as_array())
      accounts.push_back({std::string(a.at("account_id").as_string()),
                          std::string(a.at("bot_token").as_string())});
  }
  size_t polling_accounts() {
    std::set<std::string> seen;
    auto v = call(base + "/_fake/requests");
    if (!v.is_object()) return 0;
    for (const auto& r : v.at("requests").as_array()) {
      std::string path(r.at("path").as_string());
      if (path.find("getupdates") != std::string::npos)
        seen.insert(std::string(r.at("account").as_string()));
    }
    return seen.size();
  }
};

struct host_process {
  std::unique_ptr<pbtest::child_process> proc;
  std::string base;
  host_process(const fs::path& dir, const fake_server& fake, size_t n, const std::string& extra) {
    std::ofstream cfg(dir / "patchbay.yaml");
    cfg << "host:\n  listen: \"127.0.0.1:0\"\n  state: { engine: sqlite, path: state.db }\n"
           "  api_tokens: [\"bench-token\"]\n  log: { format: json, level: info }\n"
           "agents:\n  echo: { type: echo }\nchannels:\n";
    for (size_t i = 0; i < n; ++i)
      cfg << "  - id: wx" << i << "\n    plugin: \"" PB_WEIXIN_PLUGIN "\"\n    agent: echo\n"
          << "    config:\n      bot_token: \"" << fake.accounts[i].token << "\"\n"
          << "      base_url: \"" << fake.base << "\"\n      account_id: \"" << fake.accounts[i].id
          << "\"\n"
          << (extra.empty() ? "" : "      " + extra + "\n");
    cfg.close();
    proc = std::make_unique<pbtest::child_process>(
        std::vector<std::string>{PB_PATCHBAY_BIN, "run", "-c", (dir / "patchbay.yaml").string()},
        std::map<std::string, std::string>{}, (dir / "host.out").string(),
        (dir / "host.err").string());
    std::regex re(R"(listening on http://(127\.0\.0\.1:\d+))");
    wait_for(
        [&] {
          std::smatch m;
          std::string log = pbtest::read_file((dir / "host.err").string());
          if (std::regex_search(log, m, re)) base = "http://" + m[1].str();
          return !base.empty();
        },
        120s);
  }
  ~host_process() {
    if (!proc) return;
    proc->signal(SIGTERM);
    proc->wait(60s);
  }
};

}  // namespace

int main(int argc, char** argv) {
  size_t messages = 2000, accounts = 1000;
  std::string extra;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--messages")
      messages = std::stoul(argv[i + 1]);
    else if (a == "--accounts")
      accounts = std::stoul(argv[i + 1]);
    else if (a == "--extra-config")
      extra = argv[i + 1];
  }
  const fs::path dir = fs::temp_directory_path() / ("pb_wx_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir);

  // 1. Throughput through one account.
  long rss_one = 0, threads_one = 0;
  {
    fs::create_directories(dir / "one");
    fake_server fake(dir / "one", 1);
    host_process host(dir / "one", fake, 1, extra);
    if (host.base.empty() || !wait_for([&] { return fake.polling_accounts() == 1; }, 60s)) {
      std::fprintf(stderr, "host did not start polling\n%s",
                   pbtest::read_file((dir / "one/host.err").string()).c_str());
      return 1;
    }
    std::this_thread::sleep_for(1s);
    rss_one = rss_kb(host.proc->pid());
    threads_one = proc_status(host.proc->pid(), "Threads");
    const auto t0 = clk::now();
    for (size_t i = 0; i < messages; ++i) {
      json::object body{{"from", "user" + std::to_string(i % 50) + "@im.wechat"},
                        {"text", "bench message " + std::to_string(i)}};
      call(fake.base + "/_fake/inject", "POST", json::serialize(body));
    }
    const auto t_injected = clk::now();
    size_t got = 0;
    wait_for(
        [&] {
          auto v = call(fake.base + "/_fake/sent");
          got = v.is_object() ? v.at("sent").as_array().size() : 0;
          return got >= messages;
        },
        300s);
    const double secs = std::chrono::duration<double>(clk::now() - t0).count();
    std::printf(
        "one account: %zu messages injected in %.2f s, %zu replies after %.2f s: %.0f messages/s "
        "(inbound poll + host + echo agent + sendmessage)\n",
        messages, std::chrono::duration<double>(t_injected - t0).count(), got, secs, got / secs);
  }

  // 2. Idle memory for many accounts.
  {
    fs::create_directories(dir / "many");
    fake_server fake(dir / "many", accounts);
    const auto t0 = clk::now();
    host_process host(dir / "many", fake, accounts, extra);
    if (host.base.empty()) {
      std::fprintf(stderr, "host did not start\n%s",
                   pbtest::read_file((dir / "many/host.err").string()).c_str());
      return 1;
    }
    size_t polling = 0;
    wait_for([&] { return (polling = fake.polling_accounts()) >= accounts; }, 180s);
    const double up = std::chrono::duration<double>(clk::now() - t0).count();
    std::this_thread::sleep_for(3s);
    const long rss_many = rss_kb(host.proc->pid());
    std::printf(
        "host threads: %ld with 1 account, %ld with %zu (the plugin's I/O threads are "
        "shared)\n",
        threads_one, proc_status(host.proc->pid(), "Threads"), accounts);
    std::printf(
        "%zu accounts: all %zu polling after %.1f s; host RSS %ld kB idle (1 account: %ld kB)"
        " → %.1f kB per extra account\n",
        accounts, polling, up, rss_many, rss_one,
        accounts > 1 ? double(rss_many - rss_one) / double(accounts - 1) : 0.0);
  }
  fs::remove_all(dir);
  return 0;
}
