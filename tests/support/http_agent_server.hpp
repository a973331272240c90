// An `http` agent served by a test (docs/architecture.md §6): a kit HTTP server on 127.0.0.1:0
// that records each turn request the host POSTs and answers it with the NDJSON lines of
// thread_response a script chooses (default: one `content` "seen" and `done`). For the end-to-end
// tests with real plugins, which look at what the agent received (text, attachments with their
// /v1/media URLs) and make the agent send files back. Thread-safe; waits are bounded.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace pbtest {

class http_agent_server {
 public:
  // The thread_response objects answering one turn request ("turn" is filled in).
  using script = std::function<std::vector<boost::json::object>(const boost::json::object& turn)>;

  explicit http_agent_server(script s = {}) : script_(std::move(s)) { server_.start(); }
  ~http_agent_server() {
    server_.stop(std::chrono::milliseconds(0));
    rt_.stop();
  }

  // The agents: block naming this agent `name` (2-space indent).
  std::string yaml(const std::string& name = "probe") const {
    return "  " + name + ": { type: http, url: \"http://" + server_.local_endpoint() +
           "/turn\" }\n";
  }
  // The request of the n-th turn (waits up to ~20 s); an empty object if it never came.
  boost::json::object turn(std::size_t n) {
    for (int i = 0; i < 2000; ++i) {
      {
        std::lock_guard lk(mu_);
        if (turns_.size() > n) return turns_[n];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {};
  }
  std::size_t count() {
    std::lock_guard lk(mu_);
    return turns_.size();
  }

 private:
  static patchbay::kit::http_server_options options() {
    patchbay::kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    return o;
  }
  void handle(const std::shared_ptr<patchbay::kit::http_exchange>& ex) {
    boost::json::object req = boost::json::parse(ex->request().body).as_object();
    {
      std::lock_guard lk(mu_);
      turns_.push_back(req);
    }
    std::vector<boost::json::object> lines;
    if (script_) lines = script_(req);
    if (lines.empty()) lines.push_back({{"content", "seen"}, {"done", true}});
    std::string body;
    for (auto& l : lines) {
      l["turn"] = req.at("turn");
      body += boost::json::serialize(l) + "\n";
    }
    ex->respond({200, "application/x-ndjson", {}, body});
  }

  script script_;
  std::mutex mu_;
  std::vector<boost::json::object> turns_;
  patchbay::kit::io_runtime rt_{1};
  patchbay::kit::http_server server_{
      rt_, options(), [this](std::shared_ptr<patchbay::kit::http_exchange> ex) { handle(ex); }};
};

// GET `url` with the API token `bearer` (generous deadline).
inline patchbay::kit::http_client_response fetch_url(const std::string& url,
                                                     const std::string& bearer) {
  patchbay::kit::http_client_request req;
  req.url = url;
  req.total_timeout = std::chrono::seconds(20);
  if (!bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer);
  std::string err;
  patchbay::kit::http_client_response resp;
  patchbay::kit::http_fetch_blocking(req, err, resp);
  return resp;
}

}  // namespace pbtest
