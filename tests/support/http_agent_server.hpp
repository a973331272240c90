// An `http` agent served by a test (docs/architecture.md §6): a kit HTTP server on 127.0.0.1:0
// that records each turn request the host POSTs and answers it with the NDJSON lines of
// thread_response a script chooses (default: one `content` "seen" and `done`). For the end-to-end
// tests with real plugins, which look at what the agent received (text, attachments with their
// /v1/media URLs) and make the agent send files back. As a `callback` agent (accept_status set)
// it answers each turn request with that status and no payload: the test posts the answers to the
// turn's callback URL itself (post_callback). Thread-safe; waits are bounded.
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

  // `accept_status` 0: an `http` agent answering with the script; else a `callback` agent
  // answering every turn request with that status (and `accept_body`).
  explicit http_agent_server(script s = {}, unsigned accept_status = 0,
                             std::string accept_body = {})
      : script_(std::move(s)), accept_status_(accept_status), accept_body_(std::move(accept_body)) {
    server_.start();
  }
  ~http_agent_server() {
    server_.stop(std::chrono::milliseconds(0));
    rt_.stop();
  }

  // The agents: block naming this agent `name` (2-space indent).
  std::string yaml(const std::string& name = "probe") const {
    return "  " + name + ": { type: http, url: \"http://" + server_.local_endpoint() +
           "/turn\" }\n";
  }
  // The agents: block naming this server as a `callback` agent `name` whose callback URLs start
  // with `public_url`; `extra` adds options (", idle_timeout_ms: 500").
  std::string callback_yaml(const std::string& name, const std::string& public_url,
                            const std::string& extra = "") const {
    return "  " + name + ": { type: callback, url: \"http://" + server_.local_endpoint() +
           "/turn\", public_url: \"" + public_url + "\"" + extra + " }\n";
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
    if (accept_status_ != 0)
      return ex->respond({accept_status_, "application/json", {}, accept_body_});
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
  const unsigned accept_status_;
  const std::string accept_body_;
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

// A callback agent's post of `body` to a turn's callback URL, sent to the host at `base` (the
// URL's origin is the configured public_url, which need not resolve in a test) with
// "Authorization: Bearer <token>" (none when `token` is empty).
inline patchbay::kit::http_client_response post_callback(const std::string& base,
                                                         const std::string& callback_url,
                                                         const std::string& token,
                                                         const std::string& body) {
  const auto scheme = callback_url.find("://");
  const auto slash = callback_url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  patchbay::kit::http_client_request req;
  req.method = "POST";
  req.url = base + (slash == std::string::npos ? callback_url : callback_url.substr(slash));
  req.body = body;
  req.headers.emplace_back("Content-Type", "application/json");
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  req.total_timeout = std::chrono::seconds(20);
  std::string err;
  patchbay::kit::http_client_response resp;
  patchbay::kit::http_fetch_blocking(req, err, resp);
  return resp;
}

}  // namespace pbtest
