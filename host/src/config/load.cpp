// Entry points: read the file, parse the YAML, walk the sections, collect every error.
#include "config/detail.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace patchbay::config {
namespace {

constexpr std::size_t max_config_bytes = std::size_t{16} * 1024 * 1024;

std::optional<std::string> process_env(const std::string& name) {
  // getenv only races with setenv/putenv, which patchbay never calls.
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

void read_document(detail::context& ctx, const YAML::Node& root, config& cfg) {
  using detail::field;
  const field doc = detail::root_field(ctx, root);
  const auto sections =
      detail::map_entries(ctx, doc, "a map with the sections host, agents and channels",
                          {"host", "agents", "channels", "identity"});
  const field* host = detail::find_entry(sections, "host");
  // Run even without a host section: defaults such as the SQLite path still need resolving.
  detail::read_host(ctx, host ? *host : field{"host", "host", YAML::Node(), doc.pos, doc.pos},
                    cfg.host);
  if (const field* agents = detail::find_entry(sections, "agents")) {
    detail::read_agents(ctx, *agents, cfg.agents);
  }
  if (const field* identity = detail::find_entry(sections, "identity")) {
    detail::read_identity(ctx, *identity, cfg.identity);
  }
  if (const field* channels = detail::find_entry(sections, "channels")) {
    detail::read_channels(ctx, *channels, cfg.agents, cfg.channels);
    detail::check_channel_identities(ctx, cfg.channels, cfg.identity);
  }
}

}  // namespace

const agent_config* config::find_agent(const std::string& name) const {
  for (const auto& agent : agents) {
    if (agent.name == name) return &agent;
  }
  return nullptr;
}

load_result parse_config(const std::string& yaml_text, const std::string& file_name,
                         const std::string& base_dir, env_lookup env) {
  detail::context ctx{file_name, base_dir, env ? env : &process_env, {}};
  config cfg;
  cfg.file = file_name;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml_text);
  } catch (const YAML::ParserException& e) {
    ctx.error(ctx.pos(e.mark), "", "YAML syntax error: " + e.msg);
    return load_result{std::nullopt, std::move(ctx.errors)};
  }
  if (docs.size() > 1) {
    ctx.error(ctx.pos(docs[1].Mark()), "",
              "more than one YAML document (a config file holds exactly one)");
  }
  try {
    read_document(ctx, docs.empty() ? YAML::Node() : docs.front(), cfg);
  } catch (const YAML::Exception& e) {
    // Not expected: the walk only reads nodes it has type-checked. Report rather than throw.
    ctx.error(ctx.pos(e.mark), "", "cannot process the YAML document: " + e.msg);
  }
  if (!ctx.errors.empty()) {
    std::stable_sort(
        ctx.errors.begin(), ctx.errors.end(), [](const config_error& a, const config_error& b) {
          return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
        });
    return load_result{std::nullopt, std::move(ctx.errors)};
  }
  return load_result{std::move(cfg), {}};
}

load_result load_config(const std::string& path, env_lookup env) {
  std::string text;
  if (auto problem = detail::read_whole_file(path, max_config_bytes, text)) {
    return load_result{
        std::nullopt,
        {config_error{source_pos{path, 0, 0}, "", "cannot read config file: " + *problem}}};
  }
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  absolute = absolute.lexically_normal();
  load_result result = parse_config(text, path, absolute.parent_path().string(), env);
  if (result.cfg) result.cfg->file = absolute.string();
  return result;
}

}  // namespace patchbay::config
