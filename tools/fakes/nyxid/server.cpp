#include "server.hpp"

#include <spdlog/spdlog.h>

#include <unordered_map>

#include "patchbay/kit/http_client.hpp"

namespace patchbay::fakes::nyxid {

namespace {

struct state final : common::locked_fake<fake_nyxid>, std::enable_shared_from_this<state> {
  using locked_fake::locked_fake;
  using held = common::held_exchange;

  std::unordered_map<std::uint64_t, held> delayed;
  std::uint64_t next_delay = 1;

  void on_request(std::shared_ptr<kit::http_exchange> ex) override {
    const auto& req = ex->request();
    std::lock_guard lock(mtx);
    if (stopped) return;
    action a = fake.handle(req);
    common::log_request(req, std::to_string(a.response.status));
    switch (a.what) {
      case action::kind::respond:
        ex->respond(std::move(a.response));
        break;
      case action::kind::drop:
        ex->respond(common::unparsable_response("X-Fake-Nyxid"));
        break;
      case action::kind::delay: {
        const std::uint64_t id = next_delay++;
        auto t = std::make_unique<kit::timer>(rt);
        t->after(std::chrono::milliseconds(a.delay_ms), [w = weak_from_this(), id](bool cancelled) {
          if (cancelled) return;
          if (auto s = w.lock()) s->delay_over(id);
        });
        delayed[id] = held{std::move(ex), std::move(t)};
        // The answer itself was computed now; keep it with the exchange.
        pending_answers[id] = std::move(a.response);
        break;
      }
      case action::kind::deliver:
        deliver(std::move(a), ex);
        break;
    }
  }

  std::unordered_map<std::uint64_t, kit::http_response> pending_answers;

  void delay_over(std::uint64_t id) {
    std::lock_guard lock(mtx);
    auto it = delayed.find(id);
    if (it == delayed.end()) return;
    it->second.ex->respond(std::move(pending_answers[id]));
    pending_answers.erase(id);
    delayed.erase(it);
  }

  // Requires mtx. The HTTP client never calls back inline (except while the runtime stops,
  // which happens without mtx held), so taking mtx in `done` is safe.
  void deliver(action a, const std::shared_ptr<kit::http_exchange>& ex) {
    kit::http_client_request r;
    r.method = "POST";
    r.url = a.callback.url;
    r.headers = a.callback.headers;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = a.callback.body;
    r.connect_timeout = std::chrono::milliseconds(5'000);
    r.first_byte_timeout = std::chrono::milliseconds(a.timeout_ms);
    r.idle_timeout = std::chrono::milliseconds(a.timeout_ms);
    r.total_timeout = std::chrono::milliseconds(a.timeout_ms);
    r.max_body_bytes = std::size_t{64} * 1024;
    const std::uint64_t ticket = a.ticket;
    spdlog::info("callback {} -> {} ({} bytes)", ticket, a.callback.url, a.callback.body.size());
    kit::http_fetch(rt, std::move(r),
                    [w = weak_from_this(), ticket, ex](const std::string& error,
                                                       const kit::http_client_response& resp) {
                      auto s = w.lock();
                      if (!s) return;
                      std::lock_guard lock(s->mtx);
                      if (s->stopped) return;
                      spdlog::info("callback {}: {}", ticket,
                                   error.empty() ? std::to_string(resp.status) : error);
                      ex->respond(s->fake.delivered(ticket, error, resp.status, resp.body));
                    });
  }

  void on_listening(const std::string& endpoint) override {
    std::lock_guard lock(mtx);
    fake.set_base_url("http://" + endpoint);
  }

  void shut() override {
    std::unordered_map<std::uint64_t, held> d;
    std::lock_guard lock(mtx);
    stopped = true;
    d.swap(delayed);
    pending_answers.clear();
  }
};

kit::http_server_options http_options(std::string listen) {
  kit::http_server_options o;
  o.listen = std::move(listen);
  o.max_body_bytes = 1 << 20;  // NyxID's request limit (§4)
  return o;
}

}  // namespace

nyxid_server::nyxid_server(kit::io_runtime& rt, fake_nyxid& fake, std::string listen)
    : common::fake_http_server(rt, http_options(std::move(listen)),
                               std::make_shared<state>(rt, fake)) {}

}  // namespace patchbay::fakes::nyxid
