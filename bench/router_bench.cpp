// turns::router on one core: events/s through router::deliver() for realistic delta payloads
// ({"turn":"...","delta":"<40 bytes>"}) with 1 to 10 000 live turns over 1 to 1000 threads; full
// turns/s (admit, 20 deltas, done); and the latency added between deliver() being called and the
// output's delta() being invoked (p50/p99 over 1e6 events, as counters).
//
// The scheduler here stores timers in a map and never fires them (cancel erases): the idle timeout
// is irrelevant at these timescales. The host's strand_scheduler creates a kit::timer per
// schedule(), which costs more than this map does; these figures are the router's own share.
//
// Every benchmark routes spdlog's default logger to a counting sink at trace level and reports
// `log_msgs`: the happy path must log nothing (0), so logging cannot be what is measured.
#include "turns/router.hpp"

#include <benchmark/benchmark.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace patchbay::turns;
using clk = std::chrono::steady_clock;

// Timers are kept (so cancel() does real work) but never fired.
class map_scheduler final : public scheduler {
 public:
  uint64_t schedule(std::chrono::milliseconds, std::function<void()> fn) override {
    timers_.emplace(next_, std::move(fn));
    return next_++;
  }
  void cancel(uint64_t id) override { timers_.erase(id); }
  std::size_t pending() const { return timers_.size(); }

 private:
  std::map<uint64_t, std::function<void()>> timers_;
  uint64_t next_ = 1;
};

class accept_all final : public agent_starter {
 public:
  bool start(const turn_spec&, std::string&) override { return true; }
  void cancel(const std::string&) override {}
};

// What every output of one benchmark reports into.
struct tally {
  uint64_t deltas = 0, bytes = 0, completes = 0, errors = 0, contents = 0;
  clk::time_point last_delta{};  // when delta() was last invoked (latency benchmark only)
  bool stamp = false;
};

class counting_output final : public turn_output {
 public:
  explicit counting_output(tally& t) : t_(t) {}
  void delta(std::string_view text) override {
    if (t_.stamp) t_.last_delta = clk::now();
    ++t_.deltas;
    t_.bytes += text.size();
  }
  void content(std::string_view, bool) override { ++t_.contents; }
  void error(std::string_view) override { ++t_.errors; }
  void attachment(const patchbay::turns::attachment_spec&) override {}
  void complete() override { ++t_.completes; }

 private:
  tally& t_;
};

// Counts what reaches spdlog's default logger (installed once, at trace level).
class counting_sink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  uint64_t count = 0;

 protected:
  void sink_it_(const spdlog::details::log_msg&) override { ++count; }
  void flush_() override {}
};

counting_sink& log_counter() {
  static const std::shared_ptr<counting_sink> sink = [] {
    auto s = std::make_shared<counting_sink>();
    auto logger = std::make_shared<spdlog::logger>("bench", s);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    return s;
  }();
  return *sink;
}

// Turn ids shaped like the host's (turn_service: "api-<16 hex>-<seq>"), fixed width so a payload
// can be re-targeted by rewriting the id in place.
constexpr std::size_t kIdLen = 29;  // "api-" + 16 + "-" + 8
std::string turn_id(uint64_t seq) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "api-%016llx-%08llu", 0x5eed0f1a7b0c4d2eULL,
                static_cast<unsigned long long>(seq % 100'000'000));
  return buf;
}
std::string thread_key(uint64_t n) { return "api:thread-" + std::to_string(n); }

constexpr const char* kDelta40 = "The quick brown fox jumps over a lazy do";  // 40 bytes
static_assert(std::char_traits<char>::length(kDelta40) == 40);

std::string delta_payload(const std::string& id) {
  return std::string("{\"turn\":\"") + id + "\",\"delta\":\"" + kDelta40 + "\"}";
}
constexpr std::size_t kIdOffset = 9;  // after {"turn":"

turn_spec make_spec(std::string id, std::string thread, tally& t) {
  return turn_spec{std::move(id), std::move(thread), "echo",
                   R"({"turn":"x","thread":"y","text":"hello","channel":"api"})",
                   std::make_unique<counting_output>(t)};
}

router_limits roomy_limits() {
  router_limits l;
  l.max_turns = 1'000'000;
  l.max_queued_per_thread = 1'000'000;
  return l;
}

// `turns` live turns spread round-robin over `threads` thread keys. Turns of one thread run one
// after another, so exactly min(turns, threads) are running; the rest wait in their thread's queue
// (still in the router's turn map). Returns one delta payload per running turn.
std::vector<std::string> populate(router& r, tally& t, int64_t turns, int64_t threads,
                                  uint64_t first_seq) {
  std::vector<std::string> payloads;
  for (int64_t i = 0; i < turns; ++i) {
    std::string id = turn_id(first_seq + static_cast<uint64_t>(i));
    if (i < threads) payloads.push_back(delta_payload(id));
    if (r.admit(make_spec(std::move(id), thread_key(static_cast<uint64_t>(i % threads)), t)) !=
        admission::accepted)
      return {};
  }
  return payloads;
}

void report_logs(benchmark::State& state, uint64_t logs_before) {
  state.counters["log_msgs"] = static_cast<double>(log_counter().count - logs_before);
}

// A router with `turns` live turns over `threads` threads, and one delta payload per running
// turn (the setup shared by the deliver benchmarks).
struct live_router {
  live_router(int64_t turns, int64_t threads)
      : r(sched, agents, roomy_limits()), payloads(populate(r, t, turns, threads, 1)) {}
  map_scheduler sched;
  accept_all agents;
  tally t;
  router r;
  std::vector<std::string> payloads;
};

// 1. Events/s through router::deliver(): deltas round-robin over the running turns.
void BM_Deliver(benchmark::State& state) {
  const int64_t turns = state.range(0), threads = state.range(1);
  const uint64_t logs_before = log_counter().count;
  live_router lr(turns, threads);
  if (lr.payloads.empty()) {
    state.SkipWithError("admission refused");
    return;
  }
  router& r = lr.r;
  tally& t = lr.t;
  const std::vector<std::string>& payloads = lr.payloads;
  std::size_t next = 0, rejected = 0;
  for (auto _ : state) {
    const std::string err = r.deliver(payloads[next]);
    rejected += !err.empty();
    if (++next == payloads.size()) next = 0;
  }
  if (rejected || t.deltas != static_cast<uint64_t>(state.iterations()))
    state.SkipWithError("payloads were rejected");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(payloads[0].size()));
  state.counters["live_turns"] = static_cast<double>(r.active());
  state.counters["running"] = static_cast<double>(payloads.size());
  state.counters["timers"] = static_cast<double>(lr.sched.pending());
  report_logs(state, logs_before);
}
BENCHMARK(BM_Deliver)
    ->ArgNames({"turns", "threads"})
    ->Args({1, 1})
    ->Args({100, 1})
    ->Args({100, 100})
    ->Args({10'000, 1})
    ->Args({10'000, 100})
    ->Args({10'000, 1'000});

// 1b. Full turns/s: admit, 20 deltas, done, with `background` other live turns (over 1000
// threads, or fewer) sitting in the router meanwhile.
void BM_TurnLifecycle(benchmark::State& state) {
  const int64_t background = state.range(0);
  constexpr int kDeltas = 20;
  constexpr uint64_t kThreads = 64;  // the measured turns' own thread keys, reused in rotation
  const uint64_t logs_before = log_counter().count;
  map_scheduler sched;
  accept_all agents;
  tally bg, t;
  router r(sched, agents, roomy_limits());
  if (background > 0 &&
      populate(r, bg, background, std::min<int64_t>(background, 1'000), 90'000'000).empty()) {
    state.SkipWithError("admission refused");
    return;
  }
  std::vector<std::string> keys;
  for (uint64_t k = 0; k < kThreads; ++k) keys.push_back("api:life-" + std::to_string(k));
  // Payloads re-targeted per turn by rewriting the fixed-width id in place.
  std::string id = turn_id(0);
  std::string delta = delta_payload(id);
  std::string done = "{\"turn\":\"" + id + "\",\"done\":true}";
  uint64_t seq = 0;
  std::size_t rejected = 0, refused = 0;
  for (auto _ : state) {
    id = turn_id(++seq);
    delta.replace(kIdOffset, kIdLen, id);
    done.replace(kIdOffset, kIdLen, id);
    refused += r.admit(make_spec(id, keys[seq % kThreads], t)) != admission::accepted;
    for (int i = 0; i < kDeltas; ++i) rejected += !r.deliver(delta).empty();
    rejected += !r.deliver(done).empty();
  }
  if (refused || rejected || t.completes != static_cast<uint64_t>(state.iterations()))
    state.SkipWithError("turns were refused or payloads rejected");
  state.SetItemsProcessed(state.iterations());  // items = turns
  state.counters["turns/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * (kDeltas + 2), benchmark::Counter::kIsRate);
  state.counters["live_turns"] = static_cast<double>(r.active());
  report_logs(state, logs_before);
}
BENCHMARK(BM_TurnLifecycle)->ArgName("background")->Arg(0)->Arg(100)->Arg(10'000);

// Percentile of `v` (reordered): the value at rank ceil(p * n) - 1.
double percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size()));
  if (k >= v.size()) k = v.size() - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<double>(v[k]);
}

// 2. Latency from deliver() being called to the output's delta() being invoked, per event.
void BM_DeliverLatency(benchmark::State& state) {
  const int64_t turns = state.range(0), threads = state.range(1);
  const uint64_t logs_before = log_counter().count;
  live_router lr(turns, threads);
  if (lr.payloads.empty()) {
    state.SkipWithError("admission refused");
    return;
  }
  router& r = lr.r;
  tally& t = lr.t;
  const std::vector<std::string>& payloads = lr.payloads;
  std::vector<int64_t> ns;
  ns.reserve(static_cast<std::size_t>(state.max_iterations));
  t.stamp = true;
  std::size_t next = 0, rejected = 0;
  for (auto _ : state) {
    const auto t0 = clk::now();
    const std::string err = r.deliver(payloads[next]);
    ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t.last_delta - t0).count());
    rejected += !err.empty();
    if (++next == payloads.size()) next = 0;
  }
  if (rejected) state.SkipWithError("payloads were rejected");
  state.SetItemsProcessed(state.iterations());
  state.counters["p50_ns"] = percentile(ns, 0.50);
  state.counters["p99_ns"] = percentile(ns, 0.99);
  state.counters["p999_ns"] = percentile(ns, 0.999);
  state.counters["max_ns"] = static_cast<double>(*std::max_element(ns.begin(), ns.end()));
  report_logs(state, logs_before);
}
BENCHMARK(BM_DeliverLatency)
    ->ArgNames({"turns", "threads"})
    ->Args({1, 1})
    ->Args({100, 100})
    ->Args({10'000, 1'000})
    ->Iterations(1'000'000);

// What one steady_clock::now() pair costs here (included once in every latency sample above).
void BM_ClockOverhead(benchmark::State& state) {
  std::vector<int64_t> ns;
  ns.reserve(static_cast<std::size_t>(state.max_iterations));
  for (auto _ : state) {
    const auto t0 = clk::now();
    const auto t1 = clk::now();
    ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  }
  state.counters["p50_ns"] = percentile(ns, 0.50);
  state.counters["p99_ns"] = percentile(ns, 0.99);
}
BENCHMARK(BM_ClockOverhead)->Iterations(1'000'000);

}  // namespace
