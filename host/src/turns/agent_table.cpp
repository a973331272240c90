#include "turns/agent_table.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/diff.hpp"

namespace patchbay::turns {

agent_table::~agent_table() = default;

void agent_table::configure(const std::vector<config::agent_config>& configured,
                            const factory& make) {
  std::vector<config::agent_config> wanted = configured;
  if (std::none_of(wanted.begin(), wanted.end(), [](const auto& a) { return a.name == "echo"; }))
    wanted.push_back({"echo", "echo", "{}", {}});  // the built-in default needs no configuration
  std::map<std::string, entry> next;
  for (const auto& a : wanted) {
    auto old = agents_.find(a.name);
    if (old != agents_.end() && !old->second.fixed && old->second.cfg.type == a.type &&
        config::same_json(old->second.cfg.options_json, a.options_json)) {
      next.emplace(a.name, std::move(old->second));  // unchanged: keeps its backend and turns
      agents_.erase(old);
      continue;
    }
    std::string err;
    auto backend = make(a, err);
    // Unusable agents stay listed: their turns end with an error naming the problem.
    if (!backend) spdlog::error("agent {} (type {}): {}", a.name, a.type, err);
    next.emplace(a.name, entry{a, std::move(backend), err, false});
  }
  for (auto& [name, e] : agents_) {
    if (e.fixed) {
      next.emplace(name, std::move(e));
      continue;
    }
    retire(std::move(e.backend));  // changed (replaced above) or removed
  }
  agents_ = std::move(next);
  default_ = configured.empty() ? "echo" : configured.front().name;
  publish_names();
}

void agent_table::add_fixed(const std::string& name, const std::string& type,
                            std::unique_ptr<agents::agent> backend) {
  agents_[name] = entry{{name, type, "{}", {}}, std::move(backend), "", true};
  publish_names();
}

void agent_table::retire(std::unique_ptr<agents::agent> backend) {
  if (!backend) return;
  const bool busy = std::any_of(turns_.begin(), turns_.end(),
                                [&](const auto& t) { return t.second == backend.get(); });
  if (!busy) {
    backend->stop();
    stopped_.push_back(std::move(backend));
  } else {
    retired_.push_back(std::move(backend));
  }
}

void agent_table::publish_names() {
  std::set<std::string> names;
  for (const auto& [name, e] : agents_) names.insert(name);
  std::lock_guard lk(names_mu_);
  names_ = std::move(names);
}

bool agent_table::has(const std::string& name) const {
  std::lock_guard lk(names_mu_);
  return names_.count(name) != 0;
}

bool agent_table::start(const std::string& name, const std::string& turn_id,
                        const std::string& request_json, std::string& error_text) {
  auto it = agents_.find(name);
  if (it == agents_.end()) {
    error_text = "Unknown agent '" + name + "'.";
    return false;
  }
  if (!it->second.backend) {
    error_text = "The agent '" + name + "' is not available (" + it->second.problem + ").";
    return false;
  }
  if (!it->second.backend->start(turn_id, request_json, error_text)) return false;
  turns_[turn_id] = it->second.backend.get();
  if (turns_.size() >= prune_at_) {  // amortized: the map stays within twice the running turns
    std::erase_if(turns_, [&](const auto& t) { return !running_(t.first); });
    prune_at_ = std::max<std::size_t>(64, 2 * turns_.size());
  }
  return true;
}

bool agent_table::at_capacity(const std::string& name) const {
  auto it = agents_.find(name);
  return it != agents_.end() && it->second.backend && it->second.backend->at_capacity();
}

agents::turn_deadlines agent_table::deadlines(const std::string& name) const {
  auto it = agents_.find(name);
  return it != agents_.end() && it->second.backend ? it->second.backend->deadlines()
                                                   : agents::turn_deadlines{};
}

void agent_table::cancel(const std::string& turn_id) {
  auto it = turns_.find(turn_id);
  if (it != turns_.end()) {
    agents::agent* backend = it->second;
    turns_.erase(it);
    backend->cancel(turn_id);
    return;
  }
  for (auto& [name, e] : agents_)
    if (e.backend) e.backend->cancel(turn_id);
}

void agent_table::stop_all() {
  for (auto& [name, e] : agents_)  // deliberate: backends notify nothing
    if (e.backend) e.backend->stop();
  for (auto& b : retired_) b->stop();
  for (auto& b : retired_) stopped_.push_back(std::move(b));
  retired_.clear();
  turns_.clear();
}

std::size_t agent_table::sweep() {
  std::erase_if(turns_, [&](const auto& t) { return !running_(t.first); });
  std::vector<std::unique_ptr<agents::agent>> still;
  for (auto& b : retired_) {
    const bool busy = std::any_of(turns_.begin(), turns_.end(),
                                  [&](const auto& t) { return t.second == b.get(); });
    if (busy) {
      still.push_back(std::move(b));
    } else {
      b->stop();
      stopped_.push_back(std::move(b));
    }
  }
  retired_ = std::move(still);
  return retired_.size();
}

}  // namespace patchbay::turns
