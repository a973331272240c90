// A fake platform server (tools/fakes/<platform>) as a child process of a plugin test: started
// with `--listen 127.0.0.1:0`, its first stdout line (one JSON object: base_url, credentials…)
// parsed, its control API (/_fake/...) wrapped in blocking helpers, stopped (SIGTERM) and its
// files removed at the end. HTTPS fakes print a `ca_file` the helpers trust.
#pragma once

#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "patchbay/kit/http_client.hpp"

namespace pbfake {
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

class fake_process {
 public:
  fake_process(const std::string& binary, std::vector<std::string> extra_args) {
    dir_ = fs::temp_directory_path() /
           ("pb_fake_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(dir_);
    std::vector<std::string> argv{binary, "--listen", "127.0.0.1:0"};
    for (auto& a : extra_args) argv.push_back(a);
    proc_ = std::make_unique<pbtest::child_process>(argv, std::map<std::string, std::string>{},
                                                    (dir_ / "out").string(),
                                                    (dir_ / "err").string());
    for (int i = 0; i < 1500; ++i) {  // generous: ~15 s (a TLS fake makes its keys first)
      std::string out = pbtest::read_file((dir_ / "out").string());
      auto nl = out.find('\n');
      if (nl != std::string::npos) {
        boost::system::error_code ec;
        json::value v = json::parse(out.substr(0, nl), ec);
        if (ec || !v.is_object()) break;
        first_line = v.as_object();
        base_url = str(first_line, "base_url");
        ca_file = str(first_line, "ca_file");
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << binary << " did not start: " << logs();
  }
  ~fake_process() {
    proc_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fake_process(const fake_process&) = delete;
  fake_process& operator=(const fake_process&) = delete;

  std::string logs() const { return pbtest::read_file((dir_ / "err").string()); }
  const fs::path& dir() const { return dir_; }
  pbtest::child_process& process() { return *proc_; }

  // A control or API call; fails the test on a transport error or a status other than `expect`
  // (0: any). Returns the parsed body (null when it is not JSON).
  json::value call(const std::string& method, const std::string& path,
                   const json::object& body = {}, unsigned expect = 200) const {
    patchbay::kit::http_client_request req;
    req.method = method;
    req.url = base_url + path;
    req.ca_file = ca_file;
    req.total_timeout = 15s;
    if (method != "GET") {
      req.body = json::serialize(body);
      req.headers.emplace_back("Content-Type", "application/json");
    }
    std::string err;
    patchbay::kit::http_client_response resp;
    patchbay::kit::http_fetch_blocking(req, err, resp);
    EXPECT_EQ(err, "") << path;
    if (expect != 0) {
      EXPECT_EQ(resp.status, expect) << path << ": " << resp.body;
    }
    boost::system::error_code ec;
    auto v = json::parse(resp.body, ec);
    return ec ? json::value() : v;
  }
  // call() and then the array under `key` of the answer (empty when absent).
  json::array list(const std::string& path, const char* key) const {
    auto v = call("GET", path);
    if (!v.is_object()) return {};
    const auto* a = v.as_object().if_contains(key);
    return a && a->is_array() ? a->as_array() : json::array{};
  }

  static std::string str(const json::value& v, const char* key) {
    if (!v.is_object()) return {};
    const auto* p = v.as_object().if_contains(key);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  }
  static int64_t num(const json::value& v, const char* key) {
    if (!v.is_object()) return 0;
    const auto* p = v.as_object().if_contains(key);
    if (p == nullptr) return 0;
    if (p->is_int64()) return p->as_int64();
    if (p->is_uint64()) return static_cast<int64_t>(p->as_uint64());
    if (p->is_double()) return static_cast<int64_t>(p->as_double());
    return 0;
  }

  json::object first_line;
  std::string base_url;
  std::string ca_file;

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  fs::path dir_;
  std::unique_ptr<pbtest::child_process> proc_;
};

// Polls until `pred()` holds (generous bound, about `seconds`).
template <class Pred>
bool wait_for(Pred pred, int seconds = 20) {
  for (int i = 0; i < seconds * 50; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

}  // namespace pbfake
