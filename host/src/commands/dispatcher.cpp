#include "commands/dispatcher.hpp"

#include "commands/authorize.hpp"

namespace patchbay::commands {
namespace {

turns::front_verdict answer(std::string text) {
  turns::front_verdict v;
  v.what = turns::front_verdict::kind::host_answer;
  v.text = std::move(text);
  return v;
}

turns::front_verdict stop(const request& r, host_ops& host) {
  const auto report = host.stop_running(r.message, [&](const std::string& turn_sender) {
    return may_stop(r.cfg, r.message.sender_id, turn_sender);
  });
  if (report.stopped > 0) return answer(texts::stop_done());
  if (report.refused > 0) return answer(texts::stop_not_allowed());
  return answer(texts::nothing_to_stop());
}

}  // namespace

std::optional<turns::front_verdict> dispatch(const request& r, host_ops& host) {
  const bool identity = !r.identity_agent.empty();
  auto p = parse(r.cfg, identity, r.message);
  if (!p) return std::nullopt;
  switch (p->what) {
    case command::help:
      return answer(texts::help(r.cfg, identity));
    case command::whoami:
      return answer(texts::whoami(r, is_admin(r.cfg, r.message.sender_id)));
    case command::stop:
      return stop(r, host);
    case command::new_thread:
      host.start_new_thread(r.message);
      return answer(texts::new_thread());
    case command::init:
    case command::unbind: {
      // Answered by the identity command agent; the request names the command ("command").
      turns::front_verdict v;
      v.what = turns::front_verdict::kind::agent;
      v.agent = std::string(r.identity_agent);
      v.text = p->what == command::init ? "init" : "unbind";
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace patchbay::commands
