// Runs patchbay-fake-feishu as a child process on 127.0.0.1:0 (TLS unless asked for --plain),
// reads its first stdout line, and talks to it with the kit HTTP and WebSocket clients.
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

#include "child_process.hpp"
#include "feishu_family/pbbp2.hpp"
#include "kit_test_support.hpp"
#include "patchbay/kit/ws_client.hpp"

namespace fakes_feishu_loopback {

namespace json = boost::json;
namespace kit = patchbay::kit;
namespace pbbp2 = patchbay::plugins::feishu_family::pbbp2;
using namespace std::chrono_literals;

inline json::object parse_object(const std::string& text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << text.substr(0, 500);
    return {};
  }
  return std::move(v.get_object());
}

class fake_process {
 public:
  explicit fake_process(std::vector<std::string> args = {}) {
    char tmpl[] = "/tmp/pb-fake-feishu-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::vector<std::string> argv{PB_FAKE_FEISHU_BIN, "--listen",   "127.0.0.1:0", "--seed", "7",
                                  "--tls-dir",        dir_ + "/tls"};
    argv.insert(argv.end(), args.begin(), args.end());
    child_ = std::make_unique<pbtest::child_process>(argv, std::map<std::string, std::string>{},
                                                     dir_ + "/out", dir_ + "/err");
    std::string out;
    kit_test::wait_until(
        [&] {
          out = pbtest::read_file(dir_ + "/out");
          return out.find('\n') != std::string::npos || child_->wait(0ms) != -1;
        },
        20s);
    const auto nl = out.find('\n');
    if (nl == std::string::npos) {
      ADD_FAILURE() << "no first line from the fake; stderr: " << pbtest::read_file(dir_ + "/err");
      return;
    }
    first = parse_object(out.substr(0, nl));
    base_url = std::string(first.at("base_url").as_string());
    ca_file = std::string(first.at("ca_file").as_string());
  }
  ~fake_process() {
    if (child_ && child_->wait(0ms) == -1) child_->signal(SIGTERM);
    if (child_) child_->wait(10s);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  fake_process(const fake_process&) = delete;
  fake_process& operator=(const fake_process&) = delete;

  int terminate() {
    child_->signal(SIGTERM);
    return child_->wait(10s);
  }
  std::string stderr_text() const { return pbtest::read_file(dir_ + "/err"); }
  const json::object& app(std::size_t i = 0) const {
    return first.at("apps").as_array().at(i).as_object();
  }
  std::string app_str(const char* key, std::size_t i = 0) const {
    return std::string(app(i).at(key).as_string());
  }

  kit::http_client_request request(const std::string& method, const std::string& target,
                                   std::string body = {}, kit::http_headers headers = {}) const {
    kit::http_client_request r;
    r.method = method;
    r.url = base_url + target;
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    r.ca_file = ca_file;
    r.connect_timeout = 5s;
    r.first_byte_timeout = r.idle_timeout = 15s;
    r.total_timeout = 20s;
    return r;
  }

  json::object first;
  std::string base_url, ca_file;

 private:
  std::string dir_;
  std::unique_ptr<pbtest::child_process> child_;
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
