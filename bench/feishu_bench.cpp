// Feishu plugin figures against the fake Feishu server (TLS), through a real `patchbay run`
// (each phase starts a fresh fake and host):
//   1. burst: N events injected at once (spread over --chats K chats, default 50), timed until the
//   fake holds an ack
//      with code 200 for every one (frame -> plugin -> host durable -> ack), and until every echo
//      reply was posted (-> echo agent -> Open API). The bench raises the plugin's client-side rate
//      limits, which would otherwise pace the replies at the platform's limits (1000/min per app).
//      Also: the host's CPU time per message, the TCP connections opened to the fake meanwhile
//      (from /proc/net/tcp, the bench's own control calls taken off), the host's RSS idle / peak
//      (VmHWM) / 3 s after; then S messages one at a time, each waited for: inject -> reply
//      posted, p50/p99.
//   2. big burst (--big-burst M, 0 skips it): the same with M events, for its peak RSS.
//   3. fixed rate: R messages/s for T s (rate limits raised too: 50/s is past the platform's
//      1000/min per app); inject -> reply posted p50/p99/max.
//   4. reconnect cost: C cycles of the fake dropping the connection with a 1 ms backoff; per
//      cycle the time from the drop to the next open connection (discovery + TCP + TLS + upgrade,
//      on the fake's clock), and the host's RSS, threads and fds before and after.
//
//   feishu_bench [--events N] [--chats K] [--singles S] [--big-burst M] [--rate R] [--rate-seconds
//   T]
//                [--cycles C] [--ca-file]
//
// Trust: by default the production path, the plugin configured without `ca_file` (the system
// store): the host runs with SSL_CERT_FILE set to a bundle of the system store plus the fake's CA
// (OpenSSL's default verify paths read it). --ca-file: the plugin's `ca_file` instead.
//
// Latencies: the bench's wall clock just before the inject call to the fake's record of the
// machine's wall clock when it stored the reply (`stored_wall_us`).
//
// A plain program (not Google Benchmark): it orchestrates processes. Built with
// PATCHBAY_BUILD_BENCH=ON: build-bench/bench/feishu_bench.
#include <numeric>

#include "feishu_bench_setup.hpp"

namespace {
using namespace pbbench;

void reconnect_cost(const fs::path& dir, size_t cycles) {
  feishu_setup s(dir,
                 "      reconnect_initial_ms: 1\n      reconnect_max_ms: 1\n"
                 "      reconnect_jitter: 0\n");
  if (!s.host) return;
  if (s.host->base.empty() || !wait_for([&] { return s.open_connections() == 1; }, 60s)) {
    std::fprintf(stderr, "the plugin did not connect\n%s", s.host->logs().c_str());
    return;
  }
  const pid_t pid = s.host->proc->pid();
  std::this_thread::sleep_for(500ms);
  const long rss0 = rss_kb(pid), threads0 = proc_status(pid, "Threads");
  const size_t fds0 = count_fds(pid);
  const auto t0 = clk::now();
  for (size_t i = 1; i <= cycles; ++i) {
    s.fake.control("/_fake/fault", "POST", R"({"kind":"drop"})");
    if (!wait_for(
            [&] {
              return s.list("/_fake/connections", "connections").size() >= i + 1 &&
                     s.open_connections() == 1;
            },
            60s)) {
      std::fprintf(stderr, "cycle %zu did not reconnect\n", i);
      return;
    }
  }
  const double total = seconds_since(t0);
  // Drop → next open, on the fake's clock.
  std::vector<int64_t> gaps;
  auto conns = s.list("/_fake/connections", "connections");
  for (size_t i = 1; i < conns.size(); ++i) {
    const int64_t closed = num(conns[i - 1], "closed_ms"), opened = num(conns[i], "opened_ms");
    if (closed > 0 && opened >= closed) gaps.push_back(opened - closed);
  }
  std::sort(gaps.begin(), gaps.end());
  const double mean =
      gaps.empty() ? 0 : std::accumulate(gaps.begin(), gaps.end(), 0.0) / double(gaps.size());
  std::this_thread::sleep_for(500ms);
  std::printf(
      "reconnect: %zu cycles in %.2f s; drop -> open again: mean %.1f ms, median %lld ms, max "
      "%lld ms (discovery + TCP + TLS + upgrade, 1 ms backoff)\n",
      cycles, total, mean, gaps.empty() ? 0LL : static_cast<long long>(gaps[gaps.size() / 2]),
      gaps.empty() ? 0LL : static_cast<long long>(gaps.back()));
  std::printf("host after %zu cycles: RSS %ld -> %ld kB, threads %ld -> %ld, fds %zu -> %zu\n",
              cycles, rss0, rss_kb(pid), threads0, proc_status(pid, "Threads"), fds0,
              count_fds(pid));
}

}  // namespace

int main(int argc, char** argv) {
  size_t events = 2000, singles = 200, big = 20000, rate = 50, rate_seconds = 10, cycles = 100;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--ca-file")
      g_use_ca_file = true;
    else if (a == "--events" && has_value)
      events = std::stoul(argv[++i]);
    else if (a == "--singles" && has_value)
      singles = std::stoul(argv[++i]);
    else if (a == "--big-burst" && has_value)
      big = std::stoul(argv[++i]);
    else if (a == "--rate" && has_value)
      rate = std::stoul(argv[++i]);
    else if (a == "--rate-seconds" && has_value)
      rate_seconds = std::stoul(argv[++i]);
    else if (a == "--chats" && has_value)
      g_chats = std::stoul(argv[++i]);
    else if (a == "--cycles" && has_value)
      cycles = std::stoul(argv[++i]);
  }
  const fs::path dir = fs::temp_directory_path() / ("pb_fs_bench_" + std::to_string(::getpid()));
  for (const char* phase : {"burst", "big", "rate", "reconnect"})
    fs::create_directories(dir / phase);
  std::printf("trust: %s\n", g_use_ca_file ? "ca_file" : "system store (SSL_CERT_FILE bundle)");
  std::fflush(stdout);
  if (events > 0) burst(dir / "burst", events, 20ms, singles);
  std::fflush(stdout);
  if (big > 0) burst(dir / "big", big, 250ms, 0);
  std::fflush(stdout);
  if (rate > 0 && rate_seconds > 0) fixed_rate(dir / "rate", rate, rate_seconds);
  std::fflush(stdout);
  if (cycles > 0) reconnect_cost(dir / "reconnect", cycles);
  fs::remove_all(dir);
  return 0;
}
