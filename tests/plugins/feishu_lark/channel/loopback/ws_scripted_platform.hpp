// A small scripted Feishu/Lark platform for the WebSocket supervisor tests: a kit HTTPS server
// (certificates from make_test_certs) that answers endpoint discovery (POST
// /callback/ws/endpoint) and upgrades /ws/v2 to wss, speaking pbbp2 with the feishu_family
// helpers (pongs with an optional ClientConfig, acks recorded), with script knobs for refusals,
// held requests and per-session actions; and `client`, a real make_ws_supervisor on its own
// runtime with recording hooks. Deliberately small: the full fake (tools/fakes/feishu) is
// another program. Thread-safe records; set the script before the client starts.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "feishu_lark/channel/ws_supervisor.hpp"
#include "feishu_lark/proto/endpoint.hpp"
#include "feishu_lark/proto/pbbp2.hpp"
#include "feishu_lark/proto/ws_frames.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "patchbay/kit/test_cert.hpp"
#include "patchbay/kit/ws_server.hpp"

namespace fsws_test {

namespace ff = patchbay::plugins::feishu_family;
namespace kit = patchbay::kit;
namespace pbbp2 = ff::pbbp2;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

inline int64_t mono_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline bool wait_until(const std::function<bool()>& pred, milliseconds timeout = 10s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

struct temp_dir {
  std::string path;
  temp_dir() {
    std::string t = (std::filesystem::temp_directory_path() / "pb-fsws-XXXXXX").string();
    if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp");
    path = t;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline constexpr int32_t service_id = 7;
inline const char* const default_config =
    R"({"PingInterval":30,"ReconnectCount":-1,"ReconnectInterval":120,"ReconnectNonce":30})";

// The scripted platform. Set the script before the client starts; read the records any time.
class fake_platform {
 public:
  struct conn_rec {
    int64_t open_ms = 0;
    int64_t close_ms = 0;
    int64_t abort_ms = 0;  // when abort_session() dropped it (before the client could notice)
  };
  // Script (set before start).
  int64_t discovery_code = 0;  // non-zero: refuse discovery with this code (and "data":{})
  bool hold_discovery = false;
  bool reject_upgrade = false;  // 403 with Handshake-Status 403
  bool hold_upgrade = false;
  bool answer_pings = true;
  std::string client_config = default_config;
  std::optional<std::string> pong_config;
  // Called after each accepted upgrade with the session and its 1-based number.
  std::function<void(const std::shared_ptr<kit::ws_session>&, int)> on_session;
  // Called for each ping (session, connection number).
  std::function<void(kit::ws_session&, int)> on_ping;

  fake_platform() {
    certs_ = kit::make_test_certs(dir_.path);
    kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    o.tls_cert_file = certs_.cert_file;
    o.tls_key_file = certs_.key_file;
    server_ = std::make_unique<kit::http_server>(
        rt_, o, [this](std::shared_ptr<kit::http_exchange> ex) { on_request(ex); });
    server_->start();
  }
  ~fake_platform() {
    std::vector<std::shared_ptr<kit::http_exchange>> held;
    std::vector<std::shared_ptr<kit::ws_session>> sessions;
    {
      std::lock_guard l(mu_);
      held.swap(held_);
      sessions.swap(sessions_);
    }
    for (auto& ex : held) ex->respond({503, "text/plain", {}, "bye"});
    for (auto& s : sessions) s->abort();
    std::promise<void> stopped;
    server_->stop(200ms, [&] { stopped.set_value(); });
    stopped.get_future().wait_for(5s);
    timers_.clear();
    rt_.stop();
  }

  std::string base_url() const { return "https://" + server_->local_endpoint(); }
  const std::string& ca_file() const { return certs_.ca_file; }

  // Drops session `n` without a close frame, noting the time first.
  void abort_session(kit::ws_session& s, int n) {
    {
      std::lock_guard l(mu_);
      conns_[n - 1].abort_ms = mono_ms();
    }
    s.abort();
  }

  // Runs fn on the server's runtime after `d`.
  void after(milliseconds d, std::function<void()> fn) {
    std::lock_guard l(mu_);
    timers_.push_back(std::make_unique<kit::timer>(rt_));
    timers_.back()->after(d, [fn = std::move(fn)](bool cancelled) {
      if (!cancelled) fn();
    });
  }

  std::vector<int64_t> discoveries() { return locked(discoveries_); }
  std::vector<conn_rec> connections() { return locked(conns_); }
  std::vector<int64_t> pings() { return locked(pings_); }
  std::vector<pbbp2::frame> acks() { return locked(acks_); }
  int upgrade_requests() { return locked(upgrades_); }

 private:
  template <class T>
  T locked(const T& v) {
    std::lock_guard l(mu_);
    return v;
  }

  void on_request(const std::shared_ptr<kit::http_exchange>& ex) {
    const auto& req = ex->request();
    if (req.method == "POST" && req.path == ff::endpoint_path) return discovery(ex);
    if (req.path == "/ws/v2") return upgrade(ex);
    ex->respond({404, "text/plain", {}, "no"});
  }

  void discovery(const std::shared_ptr<kit::http_exchange>& ex) {
    std::lock_guard l(mu_);
    discoveries_.push_back(mono_ms());
    const auto& body = ex->request().body;
    if (body.find("\"AppID\":\"cli_0123456789abcdef\"") == std::string::npos)
      return ex->respond(
          {200, "application/json", {}, R"({"code":514,"msg":"bad app","data":{}})"});
    if (hold_discovery) return held_.push_back(ex);
    if (discovery_code != 0)
      return ex->respond({200,
                          "application/json",
                          {},
                          R"({"code":)" + std::to_string(discovery_code) +
                              R"(,"msg":"refused by script","data":{}})"});
    const std::string n = std::to_string(discoveries_.size());
    const std::string url = "wss://" + server_->local_endpoint() + "/ws/v2?fpid=1&device_id=D" + n +
                            "&service_id=" + std::to_string(service_id) + "&ticket=T" + n;
    ex->respond({200,
                 "application/json",
                 {},
                 R"({"code":0,"msg":"ok","data":{"URL":")" + url + R"(","ClientConfig":)" +
                     client_config + "}}"});
  }

  void upgrade(const std::shared_ptr<kit::http_exchange>& ex) {
    std::unique_lock l(mu_);
    ++upgrades_;
    if (hold_upgrade) return held_.push_back(ex);
    if (reject_upgrade)
      return ex->respond({403,
                          "text/plain",
                          {{"Handshake-Status", "403"}, {"Handshake-Msg", "forbidden by script"}},
                          "forbidden"});
    const int n = static_cast<int>(conns_.size()) + 1;
    conns_.push_back({mono_ms(), 0});
    kit::ws_session_handlers h;
    h.on_message = [this, n](kit::ws_session& s, kit::ws_message_kind, std::string bytes) {
      pbbp2::frame f;
      if (pbbp2::decode(bytes, f) != pbbp2::decode_error::none) return;
      if (pbbp2::kind_of(f) == pbbp2::frame_kind::ping) {
        std::function<void(kit::ws_session&, int)> hook;
        {
          std::lock_guard l2(mu_);
          pings_.push_back(mono_ms());
          hook = on_ping;
        }
        if (answer_pings) {
          std::optional<std::string_view> cfg;
          if (pong_config) cfg = *pong_config;
          s.send_binary(pbbp2::encode(ff::make_pong(service_id, cfg)));
        }
        if (hook) hook(s, n);
      } else if (f.method == pbbp2::method_data) {
        std::lock_guard l2(mu_);
        acks_.push_back(f);
      }
    };
    h.on_close = [this, n](kit::ws_session&, const kit::ws_close_info&) {
      std::lock_guard l2(mu_);
      conns_[n - 1].close_ms = mono_ms();
    };
    auto session = kit::ws_accept(ex, {}, std::move(h));
    if (!session) return;
    sessions_.push_back(session);
    auto hook = on_session;
    l.unlock();
    if (hook) hook(session, n);
  }

  temp_dir dir_;
  kit::test_cert_files certs_;
  kit::io_runtime rt_{1};
  std::unique_ptr<kit::http_server> server_;
  std::mutex mu_;
  std::vector<std::shared_ptr<kit::http_exchange>> held_;
  std::vector<std::shared_ptr<kit::ws_session>> sessions_;
  std::vector<std::unique_ptr<kit::timer>> timers_;
  std::vector<int64_t> discoveries_;
  std::vector<conn_rec> conns_;
  std::vector<int64_t> pings_;
  std::vector<pbbp2::frame> acks_;
  int upgrades_ = 0;
};

struct status_rec {
  pb_channel_state state;
  std::string reason;
  uint32_t attempt;
  int64_t next;
};
struct event_rec {
  std::string payload;
  ff::ws_ack_fn ack;
};

// The supervisor under test, on its own runtime, with recording hooks.
class client {
 public:
  client(const ff::channel_config& cfg) : strand_(rt_.make_strand()) {
    ff::ws_hooks h;
    h.on_event = [this](std::string payload, ff::ws_ack_fn ack) {
      std::lock_guard l(mu_);
      if (done_) late_calls_++;
      events_.push_back({std::move(payload), std::move(ack)});
    };
    h.on_status = [this](pb_channel_state st, std::string reason, uint32_t attempt, int64_t next) {
      std::lock_guard l(mu_);
      if (done_) late_calls_++;
      statuses_.push_back({st, std::move(reason), attempt, next});
    };
    h.log = [this](pb_log_level, std::string text) {
      std::lock_guard l(mu_);
      if (done_) late_calls_++;
      ASSERT_EQ(text.find("s3cret"), std::string::npos) << text;
      ASSERT_EQ(text.find("ticket="), std::string::npos) << text;
      logs_.push_back(std::move(text));
    };
    sup = ff::make_ws_supervisor(rt_, strand_, cfg, std::move(h));
  }
  ~client() {
    if (sup && !stopped_) stop();
    sup.reset();
    rt_.stop();
  }

  // Stops and waits for done; true when it came within `timeout`.
  bool stop(milliseconds timeout = 5s) {
    auto p = std::make_shared<std::promise<void>>();
    auto f = p->get_future();
    sup->stop([this, p] {
      {
        std::lock_guard l(mu_);
        done_ = true;
      }
      p->set_value();
    });
    stopped_ = f.wait_for(timeout) == std::future_status::ready;
    return stopped_;
  }

  std::vector<status_rec> statuses() { return locked(statuses_); }
  size_t event_count() { return locked(events_).size(); }
  event_rec event(size_t i) { return locked(events_).at(i); }
  int late_calls() { return locked(late_calls_); }
  bool has_status(pb_channel_state st, const std::string& in_reason = {}) {
    for (auto& s : statuses())
      if (s.state == st && s.reason.find(in_reason) != std::string::npos) return true;
    return false;
  }

  std::shared_ptr<ff::ws_supervisor> sup;

 private:
  template <class T>
  T locked(const T& v) {
    std::lock_guard l(mu_);
    return v;
  }
  kit::io_runtime rt_{2};
  kit::strand strand_;
  std::mutex mu_;
  std::vector<status_rec> statuses_;
  std::vector<event_rec> events_;
  std::vector<std::string> logs_;
  bool done_ = false;
  bool stopped_ = false;
  int late_calls_ = 0;
};

}  // namespace fsws_test
