// External commands, git-style: `patchbay <name> ARGS...` for a name the host does not know runs
// the program `patchbay-<name>` with ARGS, looked up first beside the patchbay binary, then on
// PATH. Plugins ship their admin tools this way (e.g. patchbay-weixin-login beside the weixin
// plugin), so the host links no plugin code and knows no platform by name.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "cli/commands.hpp"

namespace patchbay::cli {
namespace {

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '-') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

int run_external_command(const std::string& name, const args& rest) {
  if (!valid_name(name)) return -1;
  const std::string program = "patchbay-" + name;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : rest) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::string beside = (self.parent_path() / program).string();
    if (::access(beside.c_str(), X_OK) == 0) {
      ::execv(beside.c_str(), argv.data());
      const std::string why = std::error_code(errno, std::generic_category()).message();
      std::fprintf(stderr, "patchbay: cannot run %s: %s\n", beside.c_str(), why.c_str());
      return 1;
    }
  }
  ::execvp(program.c_str(), argv.data());
  if (errno == ENOENT) return -1;
  const std::string why = std::error_code(errno, std::generic_category()).message();
  std::fprintf(stderr, "patchbay: cannot run %s: %s\n", program.c_str(), why.c_str());
  return 1;
}

}  // namespace patchbay::cli
