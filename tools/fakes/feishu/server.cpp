#include "server.hpp"

#include <unordered_map>

#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/ws_server.hpp"

namespace patchbay::fakes::feishu {

namespace {

struct state final : common::locked_fake<fake_feishu>, std::enable_shared_from_this<state> {
  state(kit::io_runtime& r, fake_feishu& f, bool t) : locked_fake(r, f), tls(t), deadline(r) {}

  struct session_entry {
    std::shared_ptr<kit::ws_session> handle;  // keeps the session alive
    kit::ws_session* live = nullptr;          // set from on_open (or ws_accept) to on_close
    std::unique_ptr<kit::timer> unstall;
  };

  const bool tls;
  std::unordered_map<std::uint64_t, session_entry> sessions;
  kit::timer deadline;
  std::optional<std::int64_t> armed_at;

  // Requires mtx.
  void exec(std::vector<ws_command>& cmds) {
    for (auto& c : cmds) {
      const auto it = sessions.find(c.conn);
      if (it == sessions.end() || !it->second.live) continue;
      auto& s = *it->second.live;
      switch (c.what) {
        case ws_command::kind::send:
          s.send_binary(std::move(c.bytes));
          break;
        case ws_command::kind::close:
          s.close(c.code, "closed by fake fault");
          break;
        case ws_command::kind::abort:
          s.abort();
          break;
        case ws_command::kind::stall:
          s.stall(true);
          if (c.duration_ms > 0) {
            auto t = std::make_unique<kit::timer>(rt);
            t->after(std::chrono::milliseconds(c.duration_ms),
                     [w = weak_from_this(), id = c.conn](bool cancelled) {
                       if (cancelled) return;
                       if (auto st = w.lock()) st->unstall(id);
                     });
            it->second.unstall = std::move(t);
          }
          break;
      }
    }
    rearm();
  }

  void unstall(std::uint64_t id) {
    std::lock_guard lock(mtx);
    const auto it = sessions.find(id);
    if (it != sessions.end() && it->second.live) it->second.live->stall(false);
  }

  // Requires mtx. One timer at the earliest deadline; re-armed only when that moves earlier.
  void rearm() {
    if (stopped) return;
    const auto next = fake.next_deadline();
    if (!next || (armed_at && *armed_at <= *next)) return;
    armed_at = next;
    const auto now = fake.now_ms();
    deadline.after(std::chrono::milliseconds(std::max<std::int64_t>(0, *next - now)),
                   [w = weak_from_this()](bool cancelled) {
                     if (cancelled) return;
                     if (auto st = w.lock()) st->on_deadline();
                   });
  }

  void on_deadline() {
    std::lock_guard lock(mtx);
    armed_at.reset();
    if (stopped) return;
    auto cmds = fake.tick();
    exec(cmds);
  }

  void on_listening(const std::string& ep) override {
    std::lock_guard lock(mtx);
    fake.set_base_urls((tls ? "https://" : "http://") + ep, (tls ? "wss://" : "ws://") + ep);
  }

  void on_request(std::shared_ptr<kit::http_exchange> ex) override {
    outcome o;
    {
      std::lock_guard lock(mtx);
      if (stopped) return;
      o = fake.handle(ex->request());
      exec(o.commands);
      if (o.what == outcome::kind::respond) {
        ex->respond(std::move(o.response));
        return;
      }
    }
    if (o.what == outcome::kind::upgrade) {
      accept(ex, o.conn);
    } else {
      run_webhook(ex, std::move(*o.webhook));
    }
  }

  void accept(const std::shared_ptr<kit::http_exchange>& ex, std::uint64_t id) {
    kit::ws_session_handlers h;
    const std::weak_ptr<state> w = weak_from_this();
    h.on_open = [w, id](kit::ws_session& s) {
      if (auto st = w.lock()) {
        std::lock_guard lock(st->mtx);
        st->sessions[id].live = &s;
        auto cmds = st->fake.on_open(id);
        st->exec(cmds);
      }
    };
    h.on_message = [w, id](kit::ws_session&, kit::ws_message_kind, const std::string& payload) {
      if (auto st = w.lock()) {
        std::lock_guard lock(st->mtx);
        auto cmds = st->fake.on_frame(id, payload);
        st->exec(cmds);
      }
    };
    h.on_close = [w, id](kit::ws_session&, const kit::ws_close_info& info) {
      if (auto st = w.lock()) {
        std::unique_ptr<kit::timer> t;
        std::shared_ptr<kit::ws_session> handle;
        {
          std::lock_guard lock(st->mtx);
          std::string why = kit::ws_close_cause_name(info.cause);
          if (info.code) why.append(" ").append(std::to_string(info.code));
          if (!info.error.empty()) why += ": " + info.error;
          st->fake.on_close(id, why);
          if (const auto it = st->sessions.find(id); it != st->sessions.end()) {
            t = std::move(it->second.unstall);
            handle = std::move(it->second.handle);
            st->sessions.erase(it);
          }
        }
        // Released outside the lock: a timer's destructor may run its cancelled callback.
      }
    };
    auto session = kit::ws_accept(ex, kit::ws_server_options{}, std::move(h));
    std::lock_guard lock(mtx);
    if (!session) {
      fake.on_close(id, "not a websocket upgrade");
      return;
    }
    if (stopped) return;
    // on_close may already have run (the session ended at once): then keep no entry.
    auto& e = sessions[id];
    if (!e.live && !fake.connection_alive(id)) {
      sessions.erase(id);
      return;
    }
    e.handle = std::move(session);
  }

  void run_webhook(const std::shared_ptr<kit::http_exchange>& ex, webhook_job job) {
    auto request = job.request;
    kit::http_fetch(rt, std::move(request),
                    [w = weak_from_this(), ex, job = std::move(job)](
                        const std::string& error, const kit::http_client_response& resp) {
                      auto st = w.lock();
                      if (!st) return;
                      kit::http_response r;
                      {
                        std::lock_guard lock(st->mtx);
                        r = st->fake.webhook_done(job, error, resp.status, resp.body);
                      }
                      ex->respond(std::move(r));
                    });
  }

  void shut() override {
    std::unordered_map<std::uint64_t, session_entry> s;
    {
      std::lock_guard lock(mtx);
      stopped = true;
      s.swap(sessions);
      deadline.cancel();
    }
  }
};

kit::http_server_options http_options(const server_options& options) {
  kit::http_server_options o;
  o.listen = options.listen;
  o.max_connections = options.max_connections;
  o.max_body_bytes = 2u << 20;  // above the 150 KiB message limit, so 230025 can be answered
  // Uploads: above the 30 MB file limit, so the platform's size error can be answered.
  o.max_body_bytes_for = [](std::string_view, std::string_view path) -> std::size_t {
    if (path == "/open-apis/im/v1/images" || path == "/open-apis/im/v1/files") return 40u << 20;
    return 2u << 20;
  };
  o.tls_cert_file = options.tls_cert_file;
  o.tls_key_file = options.tls_key_file;
  return o;
}

}  // namespace

feishu_server::feishu_server(kit::io_runtime& rt, fake_feishu& fake, const server_options& options)
    : common::fake_http_server(rt, http_options(options),
                               std::make_shared<state>(rt, fake, !options.tls_cert_file.empty())) {}

}  // namespace patchbay::fakes::feishu
