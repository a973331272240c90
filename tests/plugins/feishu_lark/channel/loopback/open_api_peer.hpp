// A small Open API peer for feishu_channel_tests: a real kit HTTP server on 127.0.0.1:0 answering
// the calls the channel makes (tenant token, bot info, send, reply, edit with the 20-edit cap),
// with switches for the failures the channel must handle (refused credentials, an invalid-token
// answer, a rate-limit answer). It records every request. Not the protocol-faithful fake of
// tools/fakes (that one drives the end-to-end tests); just enough of a real peer to check the
// channel's client side without mocks.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace fstest {
namespace kit = patchbay::kit;
namespace json = boost::json;
using namespace std::chrono_literals;

struct recorded {
  std::string method, path, query, authorization, body;
};

class open_api_peer {
 public:
  std::mutex mu;
  std::vector<recorded> requests;
  int token_fetches = 0;
  bool refuse_credentials = false;   // token endpoint answers 10014
  int invalid_token_answers = 0;     // the next N token-carrying calls answer 99991663
  int rate_limit_answers = 0;        // the next N message calls answer 429/99991400
  int not_found_replies = 0;         // the next N replies answer 230011 (recalled)
  std::map<std::string, int> edits;  // message id → edits done
  int next_id = 0;

  open_api_peer()
      : server_(rt_, kit::http_server_options{"127.0.0.1:0"},
                [this](std::shared_ptr<kit::http_exchange> ex) { handle(std::move(ex)); }) {
    server_.start();
    base_url = "http://" + server_.local_endpoint();
  }
  ~open_api_peer() { server_.stop(0ms); }

  std::string base_url;

  std::vector<recorded> to(const std::string& path_prefix) {
    std::lock_guard lock(mu);
    std::vector<recorded> out;
    for (const auto& r : requests)
      if (r.path.rfind(path_prefix, 0) == 0) out.push_back(r);
    return out;
  }

  static bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds t = 10s) {
    const auto end = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }

 private:
  static std::string answer(int code, const std::string& msg, json::object extra = {}) {
    extra["code"] = code;
    extra["msg"] = msg;
    return json::serialize(extra);
  }

  void handle(std::shared_ptr<kit::http_exchange> ex) {
    const auto& q = ex->request();
    kit::http_response res;
    std::lock_guard lock(mu);
    requests.push_back({q.method, q.path, q.query, std::string(q.header("Authorization")), q.body});
    const bool token_call = q.path == "/open-apis/auth/v3/tenant_access_token/internal";
    if (token_call) {
      ++token_fetches;
      res.body = refuse_credentials
                     ? answer(10014, "app secret invalid")
                     : answer(0, "ok",
                              {{"tenant_access_token", "t-" + std::to_string(token_fetches)},
                               {"expire", 7200}});
      return ex->respond(std::move(res));
    }
    if (invalid_token_answers > 0) {
      --invalid_token_answers;
      res.status = 400;
      res.body = answer(99991663, "Invalid access token for authorization");
      return ex->respond(std::move(res));
    }
    if (q.path == "/open-apis/bot/v3/info") {
      res.body = answer(0, "ok",
                        {{"bot", json::object{{"open_id", "ou_bot"},
                                              {"app_name", "Patchbay Test"},
                                              {"activate_status", 2}}}});
      return ex->respond(std::move(res));
    }
    const std::string messages = "/open-apis/im/v1/messages";
    if (q.path.rfind(messages, 0) != 0) {
      res.status = 404;
      res.body = answer(404, "no such path");
      return ex->respond(std::move(res));
    }
    if (rate_limit_answers > 0) {
      --rate_limit_answers;
      res.status = 429;
      res.headers.emplace_back("x-ogw-ratelimit-reset", "3");
      res.body = answer(99991400, "request trigger frequency limit");
      return ex->respond(std::move(res));
    }
    const std::string rest = q.path.substr(messages.size());  // "", "/om_x", "/om_x/reply"
    if (q.method == "PUT") {
      const std::string id = rest.substr(1);
      if (++edits[id] > 20) {
        res.status = 400;
        res.body = answer(230072, "The message has reached the number of times it can be edited.");
      } else {
        res.body = answer(0, "ok", {{"data", json::object{{"message_id", id}}}});
      }
      return ex->respond(std::move(res));
    }
    const bool reply = rest.size() > 6 && rest.substr(rest.size() - 6) == "/reply";
    if (reply && not_found_replies > 0) {
      --not_found_replies;
      res.status = 400;
      res.body = answer(230011, "The message was withdrawn.");
      return ex->respond(std::move(res));
    }
    const std::string id = (reply ? "om_r" : "om_s") + std::to_string(++next_id);
    res.body =
        answer(0, "ok", {{"data", json::object{{"message_id", id}, {"chat_id", "oc_chat"}}}});
    ex->respond(std::move(res));
  }

  kit::io_runtime rt_{1};
  kit::http_server server_;
};

}  // namespace fstest
