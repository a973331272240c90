#include "ws_test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace ws_test {

using namespace patchbay::kit;

// --- recorder ---

bool recorder::wait_open(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mtx);
  return cv.wait_for(lock, timeout, [&] { return opens > 0 || closes > 0; }) && opens > 0;
}

bool recorder::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mtx);
  return cv.wait_for(lock, timeout, [&] { return closes > 0; });
}

bool recorder::wait_messages(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mtx);
  return cv.wait_for(lock, timeout, [&] { return messages.size() >= n; });
}

int recorder::close_count() {
  std::lock_guard lock(mtx);
  return closes;
}

ws_close_info recorder::closed_info() {
  std::lock_guard lock(mtx);
  return close_info;
}

std::vector<message> recorder::received() {
  std::lock_guard lock(mtx);
  return messages;
}

void recorder::opened(ws_open_info info) {
  std::lock_guard lock(mtx);
  ++opens;
  open_info = std::move(info);
  cv.notify_all();
}

void recorder::got(ws_message_kind kind, std::string payload) {
  std::lock_guard lock(mtx);
  messages.emplace_back(kind, std::move(payload));
  cv.notify_all();
}

void recorder::closed(const ws_close_info& info) {
  std::lock_guard lock(mtx);
  ++closes;
  close_info = info;
  cv.notify_all();
}

ws_client_handlers record_into(const std::shared_ptr<recorder>& rec) {
  ws_client_handlers h;
  h.on_open = [rec](const ws_open_info& info) { rec->opened(info); };
  h.on_message = [rec](ws_message_kind kind, std::string payload) {
    rec->got(kind, std::move(payload));
  };
  h.on_close = [rec](const ws_close_info& info) { rec->closed(info); };
  return h;
}

client connect(io_runtime& rt, ws_client_options options) {
  client c;
  c.conn = ws_connect(rt, std::move(options), record_into(c.rec));
  return c;
}

ws_client_options quick(const std::string& url) {
  ws_client_options o;
  o.url = url;
  o.connect_timeout = 5s;
  o.handshake_timeout = 5s;
  o.close_timeout = 5s;
  return o;
}

// --- temp_dir ---

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/patchbay-ws-XXXXXX";
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path = templ;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

// --- ws_server_env ---

ws_server_env::ws_server_env(config cfg) : cfg_(std::move(cfg)) {
  http_server_options opt;
  opt.listen = "127.0.0.1:0";
  if (cfg_.tls) {
    certs_ = make_test_certs(dir_.path);
    opt.tls_cert_file = certs_.cert_file;
    opt.tls_key_file = certs_.key_file;
  }
  server = std::make_unique<http_server>(
      rt, opt, [this](std::shared_ptr<http_exchange> ex) { on_request(ex); });
  server->start();
  endpoint_ = server->local_endpoint();
}

ws_server_env::~ws_server_env() {
  server->stop(0ms);
  server.reset();
  rt.stop();
}

std::string ws_server_env::ws_url(const std::string& target) const {
  return (cfg_.tls ? "wss://" : "ws://") + endpoint_ + target;
}

std::string ws_server_env::http_url(const std::string& target) const {
  return (cfg_.tls ? "https://" : "http://") + endpoint_ + target;
}

void ws_server_env::on_request(const std::shared_ptr<http_exchange>& ex) {
  if (cfg_.intercept && cfg_.intercept(ex)) return;
  if (ex->request().path != "/ws") {
    http_response r;
    r.content_type = "text/plain";
    r.body = "plain";
    ex->respond(std::move(r));
    return;
  }
  auto rec = std::make_shared<recorder>();
  ws_session_handlers h;
  h.on_open = [rec, hook = cfg_.on_open](ws_session& s) {
    rec->opened({});
    if (hook) hook(s);
  };
  h.on_message = [rec, echo = cfg_.echo](ws_session& s, ws_message_kind kind, std::string payload) {
    if (echo) {
      if (kind == ws_message_kind::binary) {
        s.send_binary(payload);
      } else {
        s.send_text(payload);
      }
    }
    rec->got(kind, std::move(payload));
  };
  h.on_close = [rec](ws_session&, const ws_close_info& info) { rec->closed(info); };
  auto session = ws_accept(ex, cfg_.ws, std::move(h));
  std::lock_guard lock(mtx_);
  ++accepted_;
  if (session) {
    sessions_.push_back(std::move(session));
    events_.push_back(std::move(rec));
  }
  cv_.notify_all();
}

std::shared_ptr<ws_session> ws_server_env::session(std::size_t n,
                                                   std::chrono::milliseconds timeout) {
  std::unique_lock lock(mtx_);
  cv_.wait_for(lock, timeout, [&] { return sessions_.size() > n; });
  return sessions_.size() > n ? sessions_[n] : nullptr;
}

std::shared_ptr<recorder> ws_server_env::events(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mtx_);
  cv_.wait_for(lock, timeout, [&] { return events_.size() > n; });
  return events_.size() > n ? events_[n] : nullptr;
}

std::size_t ws_server_env::accepted() {
  std::lock_guard lock(mtx_);
  return accepted_;
}

void ws_server_env::drop_handles() {
  std::vector<std::shared_ptr<ws_session>> dropped;
  {
    std::lock_guard lock(mtx_);
    dropped.swap(sessions_);
  }
}

}  // namespace ws_test
