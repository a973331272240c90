#include "server.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <unordered_map>

namespace patchbay::fakes::ilink {

namespace {

// What a dropped request gets (see server.hpp): a header value with a control character, which
// every HTTP/1.1 parser rejects, so the client reads no status, only a broken connection.
kit::http_response unparsable_response() {
  kit::http_response r;
  r.status = 200;
  r.headers.emplace_back("X-Fake-Ilink", std::string("drop\x01"));
  return r;
}

}  // namespace

struct ilink_server::state : std::enable_shared_from_this<state> {
  state(kit::io_runtime& r, fake_ilink& f) : rt(r), fake(f) {}

  struct held {
    std::shared_ptr<kit::http_exchange> ex;
    std::unique_ptr<kit::timer> timer;
  };

  kit::io_runtime& rt;
  fake_ilink& fake;
  std::mutex mtx;                                   // guards fake and everything below
  std::unordered_map<std::uint64_t, held> parked;   // long polls, by fake_ilink ticket
  std::unordered_map<std::uint64_t, held> stalled;  // stall faults, by fake_ilink ticket
  bool stopped = false;

  void on_request(std::shared_ptr<kit::http_exchange> ex) {
    const auto& req = ex->request();
    std::lock_guard lock(mtx);
    if (stopped) return;  // the exchange answers 500 when dropped; the server is closing anyway
    outcome o = fake.handle(req);
    if (req.path.rfind("/_fake/", 0) != 0) {
      spdlog::debug("{} {} -> {}", req.method, req.path,
                    o.act.what == action::kind::respond ? std::to_string(o.act.response.status)
                    : o.act.what == action::kind::park  ? std::string("parked")
                    : o.act.what == action::kind::stall ? std::string("stalled")
                                                        : std::string("dropped"));
    }
    apply(std::move(o), std::move(ex));
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
        ex->respond(unparsable_response());
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
  void stop() {
    std::unordered_map<std::uint64_t, held> p, s;
    {
      std::lock_guard lock(mtx);
      stopped = true;
      p.swap(parked);
      s.swap(stalled);
    }
  }
};

ilink_server::ilink_server(kit::io_runtime& rt, fake_ilink& fake, server_options options)
    : state_(std::make_shared<state>(rt, fake)) {
  kit::http_server_options o;
  o.listen = options.listen;
  o.max_connections = options.max_connections;
  o.max_body_bytes = options.max_body_bytes;
  // A long poll or a stall keeps its request unanswered for minutes; the idle timeout only runs
  // between requests, so the defaults fit.
  server_ = std::make_unique<kit::http_server>(rt, o, [w = std::weak_ptr<state>(state_)](auto ex) {
    if (auto s = w.lock()) s->on_request(std::move(ex));
  });
}

ilink_server::~ilink_server() {
  state_->stop();
  server_.reset();
}

void ilink_server::start() {
  server_->start();
  std::lock_guard lock(state_->mtx);
  state_->fake.set_base_url("http://" + server_->local_endpoint());
}

std::string ilink_server::local_endpoint() const { return server_->local_endpoint(); }

void ilink_server::stop(std::chrono::milliseconds grace, std::function<void()> on_stopped) {
  server_->stop(grace, std::move(on_stopped));
  state_->stop();
}

}  // namespace patchbay::fakes::ilink
