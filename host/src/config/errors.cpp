// Error positions and texts: config_error::to_string and the helpers that phrase messages.
#include "config/detail.hpp"

#include <algorithm>

namespace patchbay::config {

std::string config_error::to_string() const {
  std::string out = pos.file;
  if (pos.line > 0) {
    out += ':' + std::to_string(pos.line);
    if (pos.column > 0) out += ':' + std::to_string(pos.column);
  }
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

namespace detail {

void context::error(source_pos where, std::string path, std::string message) {
  errors.push_back(config_error{std::move(where), std::move(path), std::move(message)});
}

source_pos context::pos(const YAML::Mark& mark) const {
  // yaml-cpp marks are 0-based; a "null" mark has negative fields.
  if (mark.line < 0) return source_pos{file, 0, 0};
  return source_pos{file, mark.line + 1, std::max(mark.column, 0) + 1};
}

std::string quote(const scalar& s) { return "'" + s.original + "'"; }

std::string describe_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Null:
      return "an empty value";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string join(std::initializer_list<std::string_view> items) {
  std::string out;
  for (auto item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace detail
}  // namespace patchbay::config
