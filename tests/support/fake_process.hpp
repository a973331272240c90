// A fake platform server (tools/fakes/<platform>) as a child process of a plugin test: started
// with `--listen 127.0.0.1:0`, its first stdout line (one JSON object: base_url, credentials…)
// parsed, its control API (/_fake/...) wrapped in blocking helpers, stopped (SIGTERM) and its
// files removed at the end. HTTPS fakes print a `ca_file` the helpers trust. Used by the plugin
// tests and by the fakes' own loopback tests (tests/fakes/*).
#pragma once

#include <unistd.h>

#include <csignal>

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
#include "fake_request.hpp"
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
    // "{dir}" in an argument stands for this fake's own temporary directory (removed at the
    // end), e.g. for files the fake writes that a killed process could not clean up itself.
    for (auto& a : extra_args) {
      if (auto pos = a.find("{dir}"); pos != std::string::npos) a.replace(pos, 5, dir_.string());
      argv.push_back(a);
    }
    proc_ =
        std::make_unique<pbtest::child_process>(argv, std::map<std::string, std::string>{},
                                                (dir_ / "out").string(), (dir_ / "err").string());
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
      if (proc_->wait(0ms) != -1) break;  // exited without a first line
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
  pid_t pid() const { return proc_->pid(); }

  // SIGTERM (when still running); the exit code, or -1 when it did not exit within 10 s.
  int terminate() {
    if (proc_->wait(0ms) == -1) proc_->signal(SIGTERM);
    return proc_->wait(10s);
  }

  // A request to `target` on the fake (its ca_file trusted): connect 5 s, first byte and idle
  // `wait`, total `wait` + 5 s. For tests that send it themselves (e.g. with kit_test::fetch).
  patchbay::kit::http_client_request request(const std::string& method, const std::string& target,
                                             std::string body = {},
                                             patchbay::kit::http_headers headers = {},
                                             std::chrono::milliseconds wait = 15s) const {
    patchbay::kit::http_client_request r;
    r.method = method;
    r.url = base_url + target;
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.ca_file = ca_file;
    r.connect_timeout = 5s;
    r.first_byte_timeout = r.idle_timeout = wait;
    r.total_timeout = wait + 5s;
    return r;
  }

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
    return v.is_object() ? pbfake::str(v.as_object(), key) : std::string();
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
