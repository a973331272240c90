// The Feishu benchmark's load phases (see feishu_bench.cpp): a burst with its memory figures, and
// a fixed rate with its latency.
#include "feishu_bench_setup.hpp"

namespace pbbench {

namespace {

// Waits until `s`'s host holds one WebSocket connection to the fake; false (logs printed) if not.
bool connected(feishu_setup& s) {
  if (!s.host) return false;
  if (s.host->base.empty() || !wait_for([&] { return s.open_connections() == 1; }, 60s)) {
    std::fprintf(stderr, "the plugin did not connect\n%s", s.host->logs().c_str());
    return false;
  }
  return true;
}

unsigned port_of(const std::string& base) {
  return unsigned(std::stoul(base.substr(base.rfind(':') + 1)));
}

}  // namespace

void burst(const fs::path& dir, size_t events, std::chrono::milliseconds poll, size_t singles) {
  feishu_setup s(dir, k_unlimited);
  if (!connected(s)) return;
  const pid_t pid = s.host->proc->pid();
  std::this_thread::sleep_for(1s);
  const rss_figures idle = rss_of(pid);
  const unsigned fake_port = port_of(s.fake.base);
  std::set<unsigned> before, seen;
  add_tcp_client_ports(fake_port, before);
  const size_t calls0 = g_calls;
  const double cpu0 = cpu_ms(pid);
  long sampled_peak = idle.now_kb;
  const auto sample = [&] {
    add_tcp_client_ports(fake_port, seen);
    sampled_peak = std::max(sampled_peak, rss_kb(pid));
  };
  const auto t0 = clk::now();
  // The burst spreads over `chats` chats (one inject call each: a fresh chat and sender): the host
  // sends the replies of one chat one after the other (its outbound order per chat).
  const size_t chats = std::max<size_t>(1, std::min(g_chats, events));
  for (size_t c = 0; c < chats; ++c) {
    const size_t n = events / chats + (c < events % chats ? 1 : 0);
    json::object body{{"count", n}, {"chat_type", "p2p"}, {"text", "bench event"}};
    if (!s.fake.control("/_fake/inject", "POST", json::serialize(body)).is_object()) return;
  }
  const double injected = seconds_since(t0);
  size_t acked = 0;
  wait_for(
      [&] {
        sample();
        acked = 0;
        for (const auto& e : s.list("/_fake/events", "events"))
          if (num(e, "ack_code") == 200) ++acked;
        return acked >= events;
      },
      180s, poll);
  const double t_acked = seconds_since(t0);
  size_t replies = 0;
  wait_for(
      [&] {
        sample();
        replies = s.list("/_fake/messages", "messages").size();
        return replies >= events;
      },
      180s, poll);
  const double t_replied = seconds_since(t0);
  const double cpu = cpu_ms(pid) - cpu0;
  sample();
  size_t fresh = 0;
  for (unsigned port : seen) fresh += before.count(port) == 0 ? 1 : 0;
  const size_t own_calls = g_calls - calls0;
  const size_t opened = fresh > own_calls ? fresh - own_calls : 0;
  std::printf(
      "burst of %zu over %zu chats: injected in %.2f s; %zu acked after %.2f s: %.0f events/s "
      "(frame -> plugin -> host durable -> ack); %zu replies after %.2f s: %.0f replies/s "
      "(-> echo agent -> Open API)\n",
      events, chats, injected, acked, t_acked, acked / t_acked, replies, t_replied,
      replies / t_replied);
  std::printf(
      "burst of %zu: host CPU %.0f ms: %.3f ms/message; TCP connections opened to the fake by the "
      "host: %zu\n",
      events, cpu, replies ? cpu / double(replies) : 0.0, opened);
  std::this_thread::sleep_for(3s);
  const rss_figures after = rss_of(pid);
  std::printf(
      "burst of %zu: host RSS idle %.1f MB, peak %.1f MB (VmHWM; sampled %.1f MB), 3 s after "
      "%.1f MB\n",
      events, idle.now_kb / 1024.0, after.peak_kb / 1024.0, sampled_peak / 1024.0,
      after.now_kb / 1024.0);
  if (singles == 0) return;

  // Latency, one message at a time: injected (bench clock) -> reply stored (fake's record of the
  // machine's wall clock), both in µs.
  std::vector<int64_t> lat;
  json::object one{{"count", 1}, {"chat_type", "p2p"}, {"text", "bench single"}};
  std::set<unsigned> before1, seen1;
  add_tcp_client_ports(fake_port, before1);
  const size_t calls1 = g_calls;
  const double cpu1 = cpu_ms(pid);
  for (size_t i = 0; i < singles; ++i) {
    const int64_t sent = wall_us();
    auto r = s.fake.control("/_fake/inject", "POST", json::serialize(one));
    if (!r.is_object()) return;
    const std::string id = str(r, "message_id");
    int64_t stored = 0;
    wait_for(
        [&] {
          add_tcp_client_ports(fake_port, seen1);
          for (const auto& m : s.list("/_fake/messages", "messages"))
            if (str(m, "reply_to") == id) stored = num(m, "stored_wall_us");
          return stored != 0;
        },
        60s);
    if (stored != 0) lat.push_back(stored - sent);
  }
  std::sort(lat.begin(), lat.end());
  const double cpu_singles = cpu_ms(pid) - cpu1;
  add_tcp_client_ports(fake_port, seen1);
  size_t fresh1 = 0;
  for (unsigned port : seen1) fresh1 += before1.count(port) == 0 ? 1 : 0;
  const size_t own1 = g_calls - calls1;
  std::printf(
      "one message at a time: inject -> reply posted p50 %.1f ms, p99 %.1f ms (%zu); host CPU "
      "%.3f ms/message; TCP connections opened to the fake by the host: %zu\n",
      quantile(lat, 0.50) / 1000.0, quantile(lat, 0.99) / 1000.0, lat.size(),
      lat.empty() ? 0.0 : cpu_singles / double(lat.size()), fresh1 > own1 ? fresh1 - own1 : 0);
}

void fixed_rate(const fs::path& dir, size_t rate, size_t seconds) {
  feishu_setup s(dir, k_unlimited);
  if (!connected(s)) return;
  const pid_t pid = s.host->proc->pid();
  std::this_thread::sleep_for(1s);
  const rss_figures idle = rss_of(pid);
  const size_t total = rate * seconds;
  const auto period = std::chrono::microseconds(1'000'000 / std::max<size_t>(rate, 1));
  json::object one{{"count", 1}, {"chat_type", "p2p"}, {"text", "bench rate"}};
  std::map<std::string, int64_t> sent;  // message id -> bench wall clock before the inject, µs
  const double cpu0 = cpu_ms(pid);
  const auto t0 = clk::now();
  size_t late = 0;
  for (size_t i = 0; i < total; ++i) {
    const auto due = t0 + i * period;
    if (clk::now() > due + period) ++late;  // the injector itself fell behind
    std::this_thread::sleep_until(due);
    const int64_t at = wall_us();
    auto r = s.fake.control("/_fake/inject", "POST", json::serialize(one));
    if (r.is_object()) sent[str(r, "message_id")] = at;
  }
  std::vector<int64_t> lat;
  wait_for(
      [&] {
        lat.clear();
        for (const auto& m : s.list("/_fake/messages", "messages")) {
          auto it = sent.find(str(m, "reply_to"));
          if (it != sent.end()) lat.push_back(num(m, "stored_wall_us") - it->second);
        }
        return lat.size() >= sent.size();
      },
      120s, 100ms);
  const double elapsed = seconds_since(t0);
  const double cpu = cpu_ms(pid) - cpu0;
  std::sort(lat.begin(), lat.end());
  std::printf(
      "fixed rate %zu msg/s for %zu s: %zu injected (%zu late), %zu replies; inject -> reply "
      "posted p50 %.2f ms, p99 %.2f ms, max %.2f ms; host CPU %.3f ms/message (over %.1f s, "
      "background work included); RSS idle %.1f MB, peak %.1f MB\n",
      rate, seconds, sent.size(), late, lat.size(), quantile(lat, 0.50) / 1000.0,
      quantile(lat, 0.99) / 1000.0, lat.empty() ? 0.0 : lat.back() / 1000.0,
      lat.empty() ? 0.0 : cpu / double(lat.size()), elapsed, idle.now_kb / 1024.0,
      rss_of(pid).peak_kb / 1024.0);
}

}  // namespace pbbench
