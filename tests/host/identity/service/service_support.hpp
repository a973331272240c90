// Test support for the identity service tests: a binding store that fails on demand and counts
// its writes, and blocking wrappers around the service's callbacks (generous bounds).
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

#include "identity/binding_store.hpp"
#include "identity/broker_service.hpp"

namespace idtest {
using namespace std::chrono_literals;
namespace id = patchbay::identity;

// In memory; `fail_removes` / `fail_puts`: how many of the next writes fail (-1: all).
class flaky_store final : public id::binding_store {
 public:
  std::optional<id::binding_record> get(const std::string& key) override {
    std::lock_guard lk(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const id::binding_record& rec, id::store_done done) override {
    ++put_attempts;
    if (take(fail_puts)) return done("disk full (injected)");
    {
      std::lock_guard lk(mu_);
      map_[key] = rec;
    }
    done("");
  }
  void remove(const std::string& key, id::store_done done) override {
    ++remove_attempts;
    if (take(fail_removes)) return done("database is locked (injected)");
    {
      std::lock_guard lk(mu_);
      map_.erase(key);
    }
    done("");
  }
  void set(const std::string& key, std::string binding_id) {
    std::lock_guard lk(mu_);
    map_[key] = id::binding_record{std::move(binding_id), 1};
  }

  std::atomic<int> fail_removes{0}, fail_puts{0};
  std::atomic<int> remove_attempts{0}, put_attempts{0};

 private:
  static bool take(std::atomic<int>& n) {
    int v = n.load();
    while (v != 0) {
      if (v < 0) return true;
      if (n.compare_exchange_weak(v, v - 1)) return true;
    }
    return false;
  }
  std::mutex mu_;
  std::map<std::string, id::binding_record> map_;
};

inline id::token_result token_for(id::broker_service& s, const id::subject& who) {
  auto p = std::make_shared<std::promise<id::token_result>>();
  auto f = p->get_future();
  s.token_for(who, [p](id::token_result r) { p->set_value(std::move(r)); });
  if (f.wait_for(20s) != std::future_status::ready) {
    ADD_FAILURE() << "token_for did not answer";
    return {};
  }
  return f.get();
}

inline std::string command(id::broker_service& s, id::command c, const id::subject& who) {
  auto p = std::make_shared<std::promise<std::string>>();
  auto f = p->get_future();
  s.run_command(c, who, [p](std::string t) { p->set_value(std::move(t)); });
  if (f.wait_for(20s) != std::future_status::ready) {
    ADD_FAILURE() << "the command did not answer";
    return {};
  }
  return f.get();
}

inline patchbay::kit::http_response callback(id::broker_service& s, const std::string& query) {
  auto p = std::make_shared<std::promise<patchbay::kit::http_response>>();
  auto f = p->get_future();
  s.handle_callback(query, [p](patchbay::kit::http_response r) { p->set_value(std::move(r)); });
  if (f.wait_for(20s) != std::future_status::ready) {
    ADD_FAILURE() << "the callback did not answer";
    return {};
  }
  return f.get();
}

}  // namespace idtest
