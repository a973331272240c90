#include "server.hpp"

#include <unordered_map>

namespace patchbay::fakes::ilink {

namespace {

struct state final : common::locked_fake<fake_ilink>, std::enable_shared_from_this<state> {
  using locked_fake::locked_fake;
  using held = common::held_exchange;

  std::unordered_map<std::uint64_t, held> parked;   // long polls, by fake_ilink ticket
  std::unordered_map<std::uint64_t, held> stalled;  // stall faults, by fake_ilink ticket

  void on_request(std::shared_ptr<kit::http_exchange> ex) override {
    const auto& req = ex->request();
    std::lock_guard lock(mtx);
    if (stopped) return;  // the exchange answers 500 when dropped; the server is closing anyway
    outcome o = fake.handle(req);
    common::log_request(req, o.act.what == action::kind::respond
                                 ? std::to_string(o.act.response.status)
                             : o.act.what == action::kind::park  ? std::string("parked")
                             : o.act.what == action::kind::stall ? std::string("stalled")
                                                                 : std::string("dropped"));
    apply(std::move(o), std::move(ex));
  }

  void on_listening(const std::string& endpoint) override {
    std::lock_guard lock(mtx);
    fake.set_base_url("http://" + endpoint);
  }

  // Requires mtx.
  void apply(outcome o, std::shared_ptr<kit::http_exchange> ex) {
    for (auto& c : o.ready) {
      const auto it = parked.find(c.ticket);
      if (it == parked.end()) continue;
      it->second.ex->respond(std::move(c.response));
      parked.erase(it);  // destroying the timer cancels it
    }
    if (!ex) return;
    switch (o.act.what) {
      case action::kind::respond:
        ex->respond(std::move(o.act.response));
        break;
      case action::kind::park:
        hold(parked, o.act.ticket, std::move(ex), o.act.delay, false);
        break;
      case action::kind::stall:
        hold(stalled, o.act.ticket, std::move(ex), o.act.delay, true);
        break;
      case action::kind::drop:
        ex->respond(common::unparsable_response("X-Fake-Ilink"));
        break;
    }
  }

  // Requires mtx.
  void hold(std::unordered_map<std::uint64_t, held>& where, std::uint64_t ticket,
            std::shared_ptr<kit::http_exchange> ex, std::chrono::milliseconds delay,
            bool is_stall) {
    auto t = std::make_unique<kit::timer>(rt);
    t->after(delay, [w = weak_from_this(), ticket, is_stall](bool cancelled) {
      if (cancelled) return;
      if (auto s = w.lock()) s->hold_over(ticket, is_stall);
    });
    where[ticket] = held{std::move(ex), std::move(t)};
  }

  // On a runtime thread, when a hold's timer fires.
  void hold_over(std::uint64_t ticket, bool is_stall) {
    std::lock_guard lock(mtx);
    if (stopped) return;
    auto& where = is_stall ? stalled : parked;
    const auto it = where.find(ticket);
    if (it == where.end()) return;  // answered meanwhile
    auto ex = std::move(it->second.ex);
    where.erase(it);
    if (is_stall) {
      apply(fake.stall_over(ticket), std::move(ex));
    } else if (auto r = fake.poll_timeout(ticket)) {
      ex->respond(std::move(*r));
    }
  }

  // Drops every held exchange (each answers 500 as it goes; the server is closing its connections).
  void shut() override {
    std::unordered_map<std::uint64_t, held> p, s;
    {
      std::lock_guard lock(mtx);
      stopped = true;
      p.swap(parked);
      s.swap(stalled);
    }
  }
};

kit::http_server_options http_options(const server_options& options) {
  kit::http_server_options o;
  o.listen = options.listen;
  o.max_connections = options.max_connections;
  o.max_body_bytes = options.max_body_bytes;
  // A long poll or a stall keeps its request unanswered for minutes; the idle timeout only runs
  // between requests, so the defaults fit.
  return o;
}

}  // namespace

ilink_server::ilink_server(kit::io_runtime& rt, fake_ilink& fake, const server_options& options)
    : common::fake_http_server(rt, http_options(options), std::make_shared<state>(rt, fake)) {}

}  // namespace patchbay::fakes::ilink
