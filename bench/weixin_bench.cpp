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
#include <set>

#include "bench_support.hpp"

namespace {
using namespace pbbench;

struct account {
  std::string id, token;
};

struct fake_server : fake_child {
  std::vector<account> accounts;
  fake_server(const fs::path& dir, size_t n)
      : fake_child(PB_FAKE_BIN,
                   {"--accounts", std::to_string(n), "--hold-ms", "30000", "--log-level", "warn"},
                   dir) {
    if (auto* a = info.if_contains("accounts"); a && a->is_array())
      for (const auto& x : a->as_array())
        accounts.push_back({std::string(x.at("account_id").as_string()),
                            std::string(x.at("bot_token").as_string())});
  }
  size_t polling_accounts() {
    std::set<std::string> seen;
    auto v = control("/_fake/requests");
    if (!v.is_object()) return 0;
    for (const auto& r : v.at("requests").as_array()) {
      std::string path(r.at("path").as_string());
      if (path.find("getupdates") != std::string::npos)
        seen.insert(std::string(r.at("account").as_string()));
    }
    return seen.size();
  }
};

struct host_process : host_child {
  host_process(const fs::path& dir, const fake_server& fake, size_t n, const std::string& extra)
      : host_child(dir, channels(fake, n, extra)) {}
  static std::string channels(const fake_server& fake, size_t n, const std::string& extra) {
    std::string cfg = "agents:\n  echo: { type: echo }\nchannels:\n";
    for (size_t i = 0; i < n; ++i)
      cfg += "  - id: wx" + std::to_string(i) +
             "\n    plugin: \"" PB_WEIXIN_PLUGIN
             "\"\n    agent: echo\n    config:\n      bot_token: \"" +
             fake.accounts[i].token + "\"\n      base_url: \"" + fake.base +
             "\"\n      account_id: \"" + fake.accounts[i].id + "\"\n" +
             (extra.empty() ? "" : "      " + extra + "\n");
    return cfg;
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
      std::fprintf(stderr, "host did not start polling\n%s", host.logs().c_str());
      return 1;
    }
    std::this_thread::sleep_for(1s);
    rss_one = rss_kb(host.proc->pid());
    threads_one = proc_status(host.proc->pid(), "Threads");
    const auto t0 = clk::now();
    for (size_t i = 0; i < messages; ++i) {
      json::object body{{"from", "user" + std::to_string(i % 50) + "@im.wechat"},
                        {"text", "bench message " + std::to_string(i)}};
      fake.control("/_fake/inject", "POST", json::serialize(body));
    }
    const auto t_injected = clk::now();
    size_t got = 0;
    wait_for(
        [&] {
          auto v = fake.control("/_fake/sent");
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
      std::fprintf(stderr, "host did not start\n%s", host.logs().c_str());
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
