// Feishu plugin figures against the fake Feishu server (TLS), through a real `patchbay run`:
//   1. events/s through one WebSocket connection: N events injected at once (one batch, one chat),
//      timed until the fake holds an ack with code 200 for every one (frame → plugin → host
//      durable → ack), and until every echo reply was posted (→ echo agent → Open API). The
//      bench raises the plugin's client-side rate limits, which would otherwise pace the
//      replies at the platform's limits (1000/min per app).
//      Also: the host's CPU time per message and the TCP connections opened to the fake meanwhile
//      (from /proc/net/tcp, the bench's own control calls taken off); then S messages one at a
//      time, each waited for: inject → reply posted, p50/p99.
//   2. reconnect cost: C cycles of the fake dropping the connection with a 1 ms backoff; per
//      cycle the time from the drop to the next open connection (discovery + TCP + TLS + upgrade,
//      on the fake's clock), and the host's RSS, threads and fds before and after.
//
//   feishu_bench [--events N] [--cycles C] [--singles S]
//
// A plain program (not Google Benchmark): it orchestrates processes. Built with
// PATCHBAY_BUILD_BENCH=ON: build-bench/bench/feishu_bench.
#include <algorithm>
#include <numeric>

#include "bench_support.hpp"
#include "patchbay/common/json_util.hpp"

namespace {
using namespace pbbench;

size_t count_fds(pid_t pid) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

std::string str(const json::value& v, const char* key) {
  return v.is_object() ? std::string(patchbay::common::json_util::string_at(v.as_object(), key))
                       : std::string();
}
int64_t num(const json::value& v, const char* key) {
  const auto* p = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (p == nullptr) return 0;
  if (p->is_int64()) return p->as_int64();
  if (p->is_uint64()) return static_cast<int64_t>(p->as_uint64());
  return 0;
}

struct feishu_setup {
  fake_child fake;
  std::unique_ptr<host_child> host;
  explicit feishu_setup(const fs::path& dir, const std::string& extra)
      : fake(PB_FAKE_BIN, {"--tls-dir", (dir / "tls").string()}, dir) {
    const auto& app = fake.info.at("apps").as_array().at(0);
    host = std::make_unique<host_child>(
        dir,
        "agents:\n  echo: { type: echo, chunks: 1, delay_ms: 0 }\nchannels:\n"
        "  - id: fs\n    plugin: \"" PB_FEISHU_PLUGIN
        "\"\n    agent: echo\n    config:\n"
        "      app_id: \"" +
            str(app, "app_id") + "\"\n      app_secret: \"" + str(app, "app_secret") +
            "\"\n      domain: \"" + fake.base + "\"\n      ca_file: \"" + fake.ca_file +
            "\"\n      mode: websocket\n" + extra);
  }
  json::array list(const std::string& path, const char* key) const {
    auto v = fake.control(path);
    const auto* a = v.is_object() ? v.as_object().if_contains(key) : nullptr;
    return a && a->is_array() ? a->as_array() : json::array{};
  }
  size_t open_connections() const {
    size_t n = 0;
    for (const auto& c : list("/_fake/connections", "connections"))
      if (num(c, "closed_ms") == 0) ++n;
    return n;
  }
};

void events_per_second(const fs::path& dir, size_t events, size_t singles) {
  feishu_setup s(dir,
                 "      rate_app_per_minute: 1000000\n      rate_app_burst: 100000\n"
                 "      rate_chat_per_second: 10000\n      rate_chat_burst: 100000\n");
  if (s.host->base.empty() || !wait_for([&] { return s.open_connections() == 1; }, 60s)) {
    std::fprintf(stderr, "the plugin did not connect\n%s", s.host->logs().c_str());
    return;
  }
  const pid_t pid = s.host->proc->pid();
  const unsigned fake_port = unsigned(std::stoul(s.fake.base.substr(s.fake.base.rfind(':') + 1)));
  std::set<unsigned> before, seen;
  add_tcp_client_ports(fake_port, before);
  const size_t calls0 = g_calls;
  const double cpu0 = cpu_ms(pid);
  const auto t0 = clk::now();
  json::object body{{"count", events}, {"chat_type", "p2p"}, {"text", "bench event"}};
  if (!s.fake.control("/_fake/inject", "POST", json::serialize(body)).is_object()) return;
  const double injected = seconds_since(t0);
  size_t acked = 0;
  wait_for(
      [&] {
        add_tcp_client_ports(fake_port, seen);
        acked = 0;
        for (const auto& e : s.list("/_fake/events", "events"))
          if (num(e, "ack_code") == 200) ++acked;
        return acked >= events;
      },
      300s);
  const double t_acked = seconds_since(t0);
  size_t replies = 0;
  wait_for(
      [&] {
        add_tcp_client_ports(fake_port, seen);
        replies = s.list("/_fake/messages", "messages").size();
        return replies >= events;
      },
      300s);
  const double t_replied = seconds_since(t0);
  const double cpu = cpu_ms(pid) - cpu0;
  add_tcp_client_ports(fake_port, seen);
  size_t fresh = 0;
  for (unsigned port : seen) fresh += before.count(port) == 0 ? 1 : 0;
  const size_t own_calls = g_calls - calls0;
  const size_t opened = fresh > own_calls ? fresh - own_calls : 0;
  std::printf(
      "one connection: %zu events injected in %.2f s; %zu acked after %.2f s: %.0f events/s "
      "(frame -> plugin -> host durable -> ack); %zu replies after %.2f s: %.0f replies/s "
      "(-> echo agent -> Open API)\n",
      events, injected, acked, t_acked, acked / t_acked, replies, t_replied, replies / t_replied);
  std::printf(
      "host CPU %.0f ms: %.3f ms/message; TCP connections opened to the fake by the host: %zu\n",
      cpu, replies ? cpu / double(replies) : 0.0, opened);

  // Latency, one message at a time: injected (bench clock) -> reply posted (fake's clock; both
  // wall clocks of this machine, in ms).
  std::vector<int64_t> lat;
  const auto wall_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  json::object one{{"count", 1}, {"chat_type", "p2p"}, {"text", "bench single"}};
  std::set<unsigned> before1, seen1;
  add_tcp_client_ports(fake_port, before1);
  const size_t calls1 = g_calls;
  const double cpu1 = cpu_ms(pid);
  for (size_t i = 0; i < singles; ++i) {
    const int64_t sent = wall_ms();
    auto r = s.fake.control("/_fake/inject", "POST", json::serialize(one));
    if (!r.is_object()) return;
    const std::string id = str(r, "message_id");
    int64_t created = 0;
    wait_for(
        [&] {
          add_tcp_client_ports(fake_port, seen1);
          for (const auto& m : s.list("/_fake/messages", "messages"))
            if (str(m, "reply_to") == id) created = num(m, "create_time_ms");
          return created != 0;
        },
        60s);
    if (created != 0) lat.push_back(created - sent);
  }
  std::sort(lat.begin(), lat.end());
  const auto pct = [&](double p) {
    return lat.empty() ? 0LL
                       : static_cast<long long>(
                             lat[std::min(lat.size() - 1, size_t(p * double(lat.size())))]);
  };
  const double cpu_singles = cpu_ms(pid) - cpu1;
  add_tcp_client_ports(fake_port, seen1);
  size_t fresh1 = 0;
  for (unsigned port : seen1) fresh1 += before1.count(port) == 0 ? 1 : 0;
  const size_t own1 = g_calls - calls1;
  std::printf(
      "one message at a time: inject -> reply posted p50 %lld ms, p99 %lld ms (%zu); host CPU "
      "%.3f ms/message; TCP connections opened to the fake by the host: %zu\n",
      pct(0.50), pct(0.99), lat.size(), lat.empty() ? 0.0 : cpu_singles / double(lat.size()),
      fresh1 > own1 ? fresh1 - own1 : 0);
}

void reconnect_cost(const fs::path& dir, size_t cycles) {
  feishu_setup s(dir,
                 "      reconnect_initial_ms: 1\n      reconnect_max_ms: 1\n"
                 "      reconnect_jitter: 0\n");
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
  size_t events = 2000, cycles = 100, singles = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--events")
      events = std::stoul(argv[i + 1]);
    else if (a == "--cycles")
      cycles = std::stoul(argv[i + 1]);
    else if (a == "--singles")
      singles = std::stoul(argv[i + 1]);
  }
  const fs::path dir = fs::temp_directory_path() / ("pb_fs_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir / "events");
  fs::create_directories(dir / "reconnect");
  events_per_second(dir / "events", events, singles);
  reconnect_cost(dir / "reconnect", cycles);
  fs::remove_all(dir);
  return 0;
}
