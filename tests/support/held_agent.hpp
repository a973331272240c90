// A slow http agent served by a test (host agent `type: http`): every turn request is held for
// `hold` before it is answered with one content message, "echo: <text>", and done. It records
// every turn it was asked (to prove each message reached the agent once) and the most requests it
// held at once (to prove the host's max_turns_in_flight). Header-only; needs patchbay_kit.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace pbtest {

class held_agent {
 public:
  explicit held_agent(std::chrono::milliseconds hold) : hold_(hold) {
    server_.start();
    releaser_ = std::thread([this] { release_loop(); });
  }
  ~held_agent() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    releaser_.join();
    held_.clear();  // unanswered exchanges answer 500 on the runtime, still running here
    server_.stop();
  }
  held_agent(const held_agent&) = delete;
  held_agent& operator=(const held_agent&) = delete;

  // The agents: entry, named `name`.
  std::string yaml(const std::string& name = "held") const {
    return "  " + name + ": { type: http, url: \"http://" + server_.local_endpoint() +
           "/turn\" }\n";
  }
  // How many times the agent was asked to answer each text.
  std::map<std::string, int> asked() const {
    std::lock_guard lk(mu_);
    return asked_;
  }
  std::size_t max_held() const {
    std::lock_guard lk(mu_);
    return max_held_;
  }

 private:
  struct held {
    std::shared_ptr<patchbay::kit::http_exchange> ex;
    std::string answer;
    std::chrono::steady_clock::time_point due;
  };
  static patchbay::kit::http_server_options options() {
    patchbay::kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    return o;
  }
  void on_request(const std::shared_ptr<patchbay::kit::http_exchange>& ex) {
    namespace json = boost::json;
    json::object req = json::parse(ex->request().body).as_object();
    const std::string text(req.at("text").as_string());
    json::object answer{{"turn", req.at("turn")}, {"content", "echo: " + text}, {"done", true}};
    std::lock_guard lk(mu_);
    ++asked_[text];
    held_.push_back({ex, json::serialize(answer) + "\n", std::chrono::steady_clock::now() + hold_});
    max_held_ = std::max(max_held_, held_.size());
    cv_.notify_all();
  }
  void release_loop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
      const auto now = std::chrono::steady_clock::now();
      std::vector<held> due;
      for (auto it = held_.begin(); it != held_.end();)
        if (it->due <= now) {
          due.push_back(std::move(*it));
          it = held_.erase(it);
        } else {
          ++it;
        }
      if (!due.empty()) {
        lk.unlock();
        for (auto& h : due) h.ex->respond({200, "application/x-ndjson", {}, h.answer});
        lk.lock();
        continue;
      }
      cv_.wait_for(lk, std::chrono::milliseconds(10));
    }
  }

  const std::chrono::milliseconds hold_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<held> held_;
  std::map<std::string, int> asked_;
  std::size_t max_held_ = 0;
  bool stop_ = false;
  patchbay::kit::io_runtime rt_{1};
  patchbay::kit::http_server server_{
      rt_, options(),
      [this](const std::shared_ptr<patchbay::kit::http_exchange>& ex) { on_request(ex); }};
  std::thread releaser_;
};

}  // namespace pbtest
