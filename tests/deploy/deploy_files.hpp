// Helpers of the deploy/ checks: the repository's YAML files, the ${NAME} references of a
// patchbay configuration, the health routes the host serves, and `patchbay check-config`.
#pragma once

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace deploytest {

namespace fs = std::filesystem;

inline fs::path source_dir() { return fs::path(PB_SOURCE_DIR); }

// Every *.yaml / *.yml under deploy/, sorted.
inline std::vector<fs::path> deploy_yaml_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(source_dir() / "deploy")) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The documents of every YAML file under `dir` (relative to deploy/), in file order.
inline std::vector<YAML::Node> documents_under(const std::string& dir) {
  std::vector<YAML::Node> docs;
  const fs::path root = source_dir() / "deploy" / dir;
  for (const auto& f : deploy_yaml_files()) {
    if (f.string().rfind(root.string(), 0) != 0) continue;
    for (auto& d : YAML::LoadAllFromFile(f.string()))
      if (d.IsMap()) docs.push_back(d);
  }
  return docs;
}

// n[path[0]][path[1]]...: an undefined node (empty, no throw) when a key is missing on the way.
inline YAML::Node at(const YAML::Node& n, std::initializer_list<std::string> path) {
  YAML::Node cur;
  cur.reset(n);  // Node::operator= would assign through the handle, changing the document
  for (const auto& key : path) {
    if (!cur.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& view = cur;
    YAML::Node next = view[key];
    if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    cur.reset(next);
  }
  return cur;
}

// The ${NAME} references of a configuration text that have no default (`${NAME:-x}` has one;
// `$${` is a literal, `${file:...}` reads a file).
inline std::set<std::string> required_env(const std::string& text) {
  std::set<std::string> out;
  static const std::regex ref(R"((\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(:-)?)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ref); it != std::sregex_iterator();
       ++it) {
    const auto& m = *it;
    if (m[1].length() > 0 || m[3].matched) continue;
    out.insert(m[2].str());
  }
  return out;
}

// The port of a host:port listen address ("" when there is none).
inline std::string listen_port(const std::string& listen) {
  const auto colon = listen.rfind(':');
  return colon == std::string::npos ? "" : listen.substr(colon + 1);
}

// Whether the host's router answers `path` itself: routes.cpp compares the path literally.
inline bool host_serves(const std::string& path) {
  const std::string routes = pbtest::read_file((source_dir() / "host/src/api/routes.cpp").string());
  return routes.find("path == \"" + path + "\"") != std::string::npos;
}

struct command_result {
  int rc = -1;
  std::string out, err;
};

// `patchbay check-config FILE` with `env` added to the environment; plugins are resolved from
// the build tree.
inline command_result check_config(const fs::path& file, std::map<std::string, std::string> env) {
  env["PATCHBAY_PLUGIN_PATH"] = PB_PLUGIN_DIR;
  command_result r;
  r.rc = pbtest::run_command({PB_PATCHBAY_BIN, "check-config", file.string()}, r.out, r.err,
                             std::move(env));
  return r;
}

// Writes `text` to a fresh file in the temporary directory and returns its path.
inline fs::path write_temp(const std::string& name, const std::string& text) {
  const fs::path p =
      fs::temp_directory_path() / ("pb_deploy_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p) << text;
  return p;
}

}  // namespace deploytest
