#include "app/turn_service.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <future>
#include <map>
#include <random>

#include "agents/echo_agent.hpp"
#include "app/sse_output.hpp"
#include "app/strand_scheduler.hpp"
#include "turns/router.hpp"

namespace patchbay::app {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// Turn ids: unique across restarts without coordination (random 64-bit prefix per process).
std::string make_turn_id(uint64_t prefix, uint64_t seq) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "api-%016llx-%llu", static_cast<unsigned long long>(prefix),
                static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace

struct turn_service::impl final : turns::agent_starter,
                                  std::enable_shared_from_this<turn_service::impl> {
  impl(kit::io_runtime& rt, const config::config& cfg)
      : rt(rt), sched(rt, rt.make_strand()), router(sched, *this) {
    std::random_device rd;
    id_prefix = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    for (const auto& a : cfg.agents) {
      agent_entry e;
      e.type = a.type;
      if (a.type == "echo") {
        std::string err;
        auto opt = agents::parse_echo_options(a.options_json, err);
        if (!err.empty()) spdlog::warn("agent {}: {}; using defaults where invalid", a.name, err);
        e.echo = std::make_unique<agents::echo_agent>(sched, opt, deliver_fn());
      }
      if (default_agent.empty()) default_agent = a.name;
      agents.emplace(a.name, std::move(e));
    }
    if (!agents.count("echo")) {  // the built-in default needs no configuration
      agent_entry e;
      e.type = "echo";
      e.echo = std::make_unique<agents::echo_agent>(sched, agents::echo_options{}, deliver_fn());
      agents.emplace("echo", std::move(e));
      if (default_agent.empty()) default_agent = "echo";
    }
  }

  agents::echo_agent::deliver_fn deliver_fn() {
    return [this](const std::string& payload) { router.deliver(payload); };
  }

  // turns::agent_starter
  bool start(const turns::turn_spec& t, std::string& error_text) override {
    auto it = agents.find(t.agent);
    if (it == agents.end()) {
      error_text = "Unknown agent '" + t.agent + "'.";
      return false;
    }
    if (!it->second.echo) {
      error_text = "The agent '" + t.agent + "' (type " + it->second.type +
                   ") is not available in this build.";
      return false;
    }
    json::error_code ec;
    json::value req = json::parse(t.request_json, ec);
    std::string text = !ec && req.is_object() && req.as_object().contains("text") &&
                               req.at("text").is_string()
                           ? std::string(req.at("text").get_string())
                           : std::string();
    it->second.echo->start(t.turn_id, text);
    return true;
  }
  void cancel(const std::string& turn_id) override {
    for (auto& [name, e] : agents)
      if (e.echo) e.echo->cancel(turn_id);
  }

  struct agent_entry {
    std::string type;
    std::unique_ptr<agents::echo_agent> echo;
  };

  kit::io_runtime& rt;
  strand_scheduler sched;
  turns::router router;
  std::map<std::string, agent_entry> agents;
  std::string default_agent;
  uint64_t id_prefix = 0;
  uint64_t seq = 0;
  bool stopping = false;
};

turn_service::turn_service(kit::io_runtime& rt, const config::config& cfg)
    : impl_(std::make_shared<impl>(rt, cfg)) {}

turn_service::~turn_service() = default;

std::string turn_service::check_agent(const std::string& name) const {
  if (name.empty() || impl_->agents.count(name)) return {};
  return "unknown agent '" + name + "'";
}

void turn_service::start_chat(chat_request req, std::shared_ptr<kit::http_exchange> ex) {
  impl_->sched.strand().post([self = impl_, req = std::move(req), ex]() mutable {
    if (self->stopping) {
      kit::http_response r;
      r.status = 503;
      r.body = R"({"error":{"code":"shutting_down","message":"the host is stopping"}})";
      ex->respond(std::move(r));
      return;
    }
    std::string id = make_turn_id(self->id_prefix, ++self->seq);
    std::string agent = req.agent.empty() ? self->default_agent : req.agent;
    std::string thread = "api:" + (req.thread.empty() ? id : req.thread);
    auto stream = ex->start_stream(200, "text/event-stream",
                                   {{"Cache-Control", "no-cache"}, {"X-Patchbay-Turn", id}});
    std::weak_ptr<impl> weak = self;
    stream->on_peer_gone([weak, id] {
      if (auto s = weak.lock())
        s->sched.strand().post([s, id] {
          if (!s->router.has_turn(id)) return;
          spdlog::info("turn {}: client went away; ending the turn", id);
          s->cancel(id);
          s->router.fail(id, "client disconnected");
        });
    });
    turns::turn_spec spec{id, thread, agent,
                          json::serialize(json::object{{"turn", id},
                                                       {"thread", thread},
                                                       {"text", req.text},
                                                       {"channel", "api"}}),
                          std::make_unique<sse_output>(stream, self->sched, 15s)};
    auto adm = self->router.admit(std::move(spec));
    if (adm != turns::admission::accepted)  // the client got an error event saying why
      spdlog::warn("turn {}: refused ({})", id,
                   adm == turns::admission::thread_full ? "thread busy" : "router full");
  });
}

void turn_service::shutdown() {
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  impl_->sched.strand().post([self = impl_, done] {
    self->stopping = true;
    self->router.fail_all("The gateway is shutting down; please ask again in a moment.");
    done->set_value();
  });
  f.wait_for(5s);
}

}  // namespace patchbay::app
