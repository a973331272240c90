// patchbay-fake-openai as a child process for tests: spawned with --listen 127.0.0.1:0, its first
// stdout line (one JSON object) read for the base URL and key, and its control API
// (/_fake/fault, /_fake/requests, /_fake/reset, /_fake/config) driven over HTTP.
#pragma once

#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "patchbay/kit/http_client.hpp"

namespace agent_test {

class fake_openai {
 public:
  explicit fake_openai(const std::string& api_key = "sk-test-key-0d8e5b42",
                       int chunk_delay_ms = 5) {
    static int n = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("pb_fake_openai_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::create_directories(dir_);
    proc_ = std::make_unique<pbtest::child_process>(
        std::vector<std::string>{PB_FAKE_OPENAI_BIN, "--listen", "127.0.0.1:0", "--api-key",
                                 api_key, "--chunk-delay-ms", std::to_string(chunk_delay_ms)},
        std::map<std::string, std::string>{}, (dir_ / "out").string(), (dir_ / "err").string());
    for (int i = 0; i < 1000; ++i) {  // generous: start-up on a loaded machine
      std::string out = pbtest::read_file((dir_ / "out").string());
      if (auto nl = out.find('\n'); nl != std::string::npos) {
        auto v = boost::json::parse(out.substr(0, nl)).as_object();
        base_url = std::string(v.at("base_url").as_string());
        key = std::string(v.at("api_key").as_string());
        root = "http://" + std::string(v.at("listen").as_string());
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~fake_openai() {
    proc_.reset();
    std::filesystem::remove_all(dir_);
  }

  // POST/GET on the control API; returns the body ("" and a test failure on error).
  std::string control(const std::string& method, const std::string& path,
                      const std::string& body = "") {
    patchbay::kit::http_client_request req;
    req.method = method;
    req.url = root + path;
    req.body = body;
    req.total_timeout = std::chrono::seconds(5);
    if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    std::string err;
    patchbay::kit::http_client_response resp;
    patchbay::kit::http_fetch_blocking(req, err, resp);
    EXPECT_EQ(err, "") << path;
    EXPECT_EQ(resp.status, 200u) << path << ": " << resp.body;
    return resp.body;
  }
  void fault(const std::string& json) { control("POST", "/_fake/fault", json); }
  // The chat request bodies received so far, in order.
  std::vector<boost::json::object> chat_requests() {
    std::vector<boost::json::object> out;
    auto v = boost::json::parse(control("GET", "/_fake/requests"));
    for (const auto& r : v.at("requests").as_array())
      if (r.at("path").as_string() == "/v1/chat/completions" && r.at("body").is_object())
        out.push_back(r.at("body").as_object());
    return out;
  }

  std::string base_url, key, root;

 private:
  std::filesystem::path dir_;
  std::unique_ptr<pbtest::child_process> proc_;
};

// The messages of a chat request as "role: content" strings.
inline std::vector<std::string> messages_of(const boost::json::object& body) {
  std::vector<std::string> out;
  for (const auto& m : body.at("messages").as_array())
    out.push_back(std::string(m.at("role").as_string()) + ": " +
                  std::string(m.at("content").as_string()));
  return out;
}

}  // namespace agent_test
