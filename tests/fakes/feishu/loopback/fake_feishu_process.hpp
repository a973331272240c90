// Runs patchbay-fake-feishu as a child process on 127.0.0.1:0 (TLS unless asked for --plain),
// reads its first stdout line, and talks to it with the kit HTTP and WebSocket clients. The
// process handling is pbfake::fake_process (tests/support/fake_process.hpp).
#pragma once

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <condition_variable>
#include <csignal>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fake_process.hpp"  // tests/support: pbfake::fake_process
#include "feishu_lark/proto/pbbp2.hpp"
#include "kit_test_support.hpp"
#include "patchbay/kit/ws_client.hpp"

namespace fakes_feishu_loopback {

namespace json = boost::json;
namespace kit = patchbay::kit;
namespace pbbp2 = patchbay::plugins::feishu_family::pbbp2;
using namespace std::chrono_literals;

using pbfake::parse_object;

// pbfake::fake_process with --seed 7 (TLS: the fake writes and removes its own certificates),
// stopped with SIGTERM at the end, plus Open API requests.
class fake_process : public pbfake::fake_process {
 public:
  explicit fake_process(std::vector<std::string> args = {})
      : pbfake::fake_process(PB_FAKE_FEISHU_BIN, with_seed(std::move(args))) {}
  ~fake_process() { terminate(); }

  const json::object& app(std::size_t i = 0) const {
    return first_line.at("apps").as_array().at(i).as_object();
  }
  std::string app_str(const char* key, std::size_t i = 0) const {
    return std::string(app(i).at(key).as_string());
  }

  // pbfake::fake_process::request with the JSON content type (first byte and idle 15 s).
  kit::http_client_request request(const std::string& method, const std::string& target,
                                   std::string body = {}, kit::http_headers headers = {}) const {
    headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    return pbfake::fake_process::request(method, target, std::move(body), std::move(headers));
  }

 private:
  static std::vector<std::string> with_seed(std::vector<std::string> args) {
    args.insert(args.begin(), {"--seed", "7"});
    return args;
  }
};

// A WebSocket client connection that keeps what it receives, decoded.
struct ws_peer {
  std::mutex mtx;
  std::condition_variable cv;
  std::deque<pbbp2::frame> frames;
  bool opened = false, closed = false;
  kit::ws_close_info close_info;
  std::shared_ptr<kit::ws_connection> conn;

  void connect(kit::io_runtime& rt, const std::string& url, const std::string& ca_file) {
    kit::ws_client_options o;
    o.url = url;
    o.ca_file = ca_file;
    o.connect_timeout = o.handshake_timeout = 10s;
    kit::ws_client_handlers h;
    h.on_open = [this](const kit::ws_open_info&) {
      std::lock_guard lock(mtx);
      opened = true;
      cv.notify_all();
    };
    h.on_message = [this](kit::ws_message_kind, std::string payload) {
      pbbp2::frame f;
      if (pbbp2::decode(payload, f) != pbbp2::decode_error::none) return;
      std::lock_guard lock(mtx);
      frames.push_back(std::move(f));
      cv.notify_all();
    };
    h.on_close = [this](const kit::ws_close_info& info) {
      std::lock_guard lock(mtx);
      closed = true;
      close_info = info;
      cv.notify_all();
    };
    conn = kit::ws_connect(rt, std::move(o), std::move(h));
  }
  bool wait_open(std::chrono::milliseconds t = 15s) {
    std::unique_lock lock(mtx);
    cv.wait_for(lock, t, [&] { return opened || closed; });
    return opened && !closed;
  }
  bool wait_closed(std::chrono::milliseconds t = 15s) {
    std::unique_lock lock(mtx);
    return cv.wait_for(lock, t, [&] { return closed; });
  }
  std::optional<pbbp2::frame> next(std::chrono::milliseconds t = 15s) {
    std::unique_lock lock(mtx);
    if (!cv.wait_for(lock, t, [&] { return !frames.empty(); })) return std::nullopt;
    auto f = std::move(frames.front());
    frames.pop_front();
    return f;
  }
};

}  // namespace fakes_feishu_loopback
