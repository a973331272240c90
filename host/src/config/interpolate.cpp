// ${...} references in scalar values: ${NAME}, ${NAME:-default}, ${file:PATH}, and $${ for a
// literal "${". Messages name the reference (text from the config file), never what it expands to.
#include "config/detail.hpp"

namespace patchbay::config::detail {
namespace {

constexpr std::size_t max_secret_file_bytes = std::size_t{1024} * 1024;

bool is_env_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

void expand_file(std::string_view path, const std::string& base_dir, interpolation& out) {
  if (path.empty()) {
    out.errors.push_back("empty path in '${file:}' (expected ${file:PATH})");
    return;
  }
  const std::string resolved = resolve_path(base_dir, std::string(path));
  std::string content;
  if (auto problem = read_whole_file(resolved, max_secret_file_bytes, content)) {
    out.errors.push_back("cannot read secret file '" + resolved + "': " + *problem);
    return;
  }
  // Files written by editors and `echo` end in a newline that is not part of the secret.
  if (!content.empty() && content.back() == '\n') {
    content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
  }
  out.text += content;
  out.substituted = true;
}

void expand_env(std::string_view ref, env_lookup env, interpolation& out) {
  const auto sep = ref.find(":-");
  const std::string_view name = ref.substr(0, sep);
  if (!is_env_name(name)) {
    out.errors.push_back("invalid reference '${" + std::string(ref) +
                         "}' (expected ${NAME}, ${NAME:-default} or ${file:PATH})");
    return;
  }
  const auto value = env(std::string(name));
  if (sep != std::string_view::npos && (!value || value->empty())) {
    out.text += ref.substr(sep + 2);
  } else if (!value) {
    out.errors.push_back("environment variable " + std::string(name) + " is not set");
    return;
  } else {
    out.text += *value;
  }
  out.substituted = true;
}

}  // namespace

interpolation interpolate(std::string_view raw, const std::string& base_dir, env_lookup env) {
  interpolation out;
  std::size_t i = 0;
  while (i < raw.size()) {
    if (raw[i] != '$') {
      out.text += raw[i++];
      continue;
    }
    if (raw.substr(i, 3) == "$${") {
      out.text += "${";
      i += 3;
      continue;
    }
    if (raw.substr(i, 2) != "${") {
      out.text += raw[i++];
      continue;
    }
    const auto close = raw.find('}', i + 2);
    if (close == std::string_view::npos) {
      out.errors.push_back("unterminated '${' (missing '}'; write '$${' for a literal '${')");
      break;
    }
    const std::string_view ref = raw.substr(i + 2, close - i - 2);
    if (ref.substr(0, 5) == "file:") {
      expand_file(ref.substr(5), base_dir, out);
    } else {
      expand_env(ref, env, out);
    }
    i = close + 1;
  }
  return out;
}

}  // namespace patchbay::config::detail
