#include "process_test_support.hpp"

#include <signal.h>
#include <sys/types.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "turns/thread_response.hpp"

namespace proctest {

patchbay::agents::agent_env recorder::env(patchbay::kit::io_runtime& rt, const std::string& name) {
  patchbay::agents::agent_env e;
  e.rt = &rt;
  e.name = name;
  e.deliver = [this](std::string payload) {
    auto r = patchbay::turns::parse_thread_response(payload);
    {
      std::lock_guard lock(mu_);
      payloads_.push_back(payload);
    }
    if (!r.value) return add({"invalid", "", payload});
    const auto& v = *r.value;
    if (v.delta) add({"delta", v.turn, *v.delta});
    if (v.content) add({"content", v.turn, *v.content});
    if (v.error) add({"error", v.turn, *v.error});
    if (v.done) add({"done", v.turn, ""});
  };
  e.fail = [this](std::string turn, std::string text) { add({"fail", turn, text}); };
  e.report_health = [this](std::string problem) {
    std::lock_guard lock(mu_);
    health_.push_back(problem);
    cv_.notify_all();
  };
  return e;
}

void recorder::add(event e) {
  std::lock_guard lock(mu_);
  events_.push_back(std::move(e));
  cv_.notify_all();
}

std::vector<event> recorder::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<event> recorder::events_of(const std::string& turn) const {
  std::vector<event> out;
  for (auto& e : events())
    if (e.turn == turn) out.push_back(e);
  return out;
}

std::vector<std::string> recorder::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

std::vector<std::string> recorder::payloads() const {
  std::lock_guard lock(mu_);
  return payloads_;
}

std::string recorder::answer(const std::string& turn) const {
  std::string s;
  for (auto& e : events_of(turn))
    if (e.kind == "delta") s += e.text;
  return s;
}

int recorder::terminals(const std::string& turn) const {
  int n = 0;
  for (auto& e : events_of(turn)) n += e.kind == "done" || e.kind == "error" || e.kind == "fail";
  return n;
}

std::string recorder::failure(const std::string& turn) const {
  for (auto& e : events_of(turn))
    if (e.kind == "fail") return e.text;
  return "";
}

bool recorder::wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout) const {
  // pred() takes the lock itself: check it unlocked, sleep on the condition variable in between.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    std::unique_lock lock(mu_);
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      lock.unlock();
      return pred();
    }
  }
}

struct log_capture::sink final : spdlog::sinks::base_sink<std::mutex> {
  std::string text() {
    std::lock_guard lock(mutex_);
    return buf;
  }
  void sink_it_(const spdlog::details::log_msg& msg) override {
    buf.append(spdlog::level::to_string_view(msg.level).data(),
               spdlog::level::to_string_view(msg.level).size());
    buf += ": ";
    buf.append(msg.payload.data(), msg.payload.size());
    buf += '\n';
  }
  void flush_() override {}
  std::string buf;
};

log_capture::log_capture() : sink_(std::make_shared<sink>()), previous_(spdlog::default_logger()) {
  auto logger = std::make_shared<spdlog::logger>("test", sink_);
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

log_capture::~log_capture() { spdlog::set_default_logger(previous_); }

std::string log_capture::text() const { return sink_->text(); }

bool log_capture::wait_for(const std::string& needle, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (text().find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

bool process_alive(int pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  std::getline(stat, all);
  auto close = all.rfind(')');
  return close != std::string::npos && close + 2 < all.size() && all[close + 2] != 'Z';
}

bool wait_gone(int pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (process_alive(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace proctest
