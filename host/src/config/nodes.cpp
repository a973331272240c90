// Walking the YAML tree: map entries (unknown and duplicate keys), list items, and typed scalar
// readers that interpolate and report wrong types.
#include "config/detail.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>
#include <utility>

namespace patchbay::config::detail {

field root_field(context& ctx, const YAML::Node& root) {
  const source_pos where = ctx.pos(root.Mark());
  return field{"", "", root, where, where};
}

std::vector<field> map_entries(context& ctx, const field& map, std::string_view what,
                               std::initializer_list<std::string_view> allowed) {
  std::vector<field> out;
  if (map.node.IsNull()) return out;
  if (!map.node.IsMap()) {
    ctx.error(map.pos, map.path,
              "expected " + std::string(what) + ", got " + describe_kind(map.node));
    return out;
  }
  // yaml-cpp keeps duplicate keys as separate entries; remember each key's first line. A hash
  // map, not a list: a map of many keys must not cost a quadratic scan.
  std::unordered_map<std::string, int> seen;
  seen.reserve(map.node.size());
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const YAML::Node key_node = it->first;
    const YAML::Node value = it->second;
    const source_pos key_pos = ctx.pos(key_node.Mark());
    if (!key_node.IsScalar()) {
      ctx.error(key_pos, map.path, "keys must be strings, got " + describe_kind(key_node));
      continue;
    }
    const std::string& key = key_node.Scalar();
    const std::string path = map.path.empty() ? key : map.path + "." + key;
    const auto [first, inserted] = seen.try_emplace(key, key_pos.line);
    if (!inserted) {
      ctx.error(
          key_pos, path,
          "duplicate key '" + key + "' (first at line " + std::to_string(first->second) + ")");
      continue;
    }
    if (allowed.size() != 0 && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      ctx.error(key_pos, path,
                "unknown key '" + key + "' (expected one of: " + join(allowed) + ")");
      continue;
    }
    // An empty value's mark points at whatever token follows it; the key is a better place.
    const source_pos value_pos = value.IsNull() ? key_pos : ctx.pos(value.Mark());
    out.push_back(field{path, key, value, value_pos, key_pos});
  }
  return out;
}

std::vector<field> list_items(context& ctx, const field& list, std::string_view what) {
  std::vector<field> out;
  if (list.node.IsNull()) return out;
  if (!list.node.IsSequence()) {
    ctx.error(list.pos, list.path,
              "expected " + std::string(what) + ", got " + describe_kind(list.node));
    return out;
  }
  std::size_t index = 0;
  for (const YAML::Node& item : list.node) {
    const source_pos where = item.IsNull() ? list.pos : ctx.pos(item.Mark());
    out.push_back(field{list.path + "[" + std::to_string(index++) + "]", "", item, where, where});
  }
  return out;
}

const field* find_entry(const std::vector<field>& entries, std::string_view key) {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

void require_keys(context& ctx, const field& map, const std::vector<field>& entries,
                  std::initializer_list<std::string_view> keys) {
  // A map that is not a map at all was reported by map_entries already.
  if (!map.node.IsMap() && !map.node.IsNull()) return;
  for (auto key : keys) {
    if (!find_entry(entries, key)) {
      ctx.error(map.pos, map.path, "missing required key '" + std::string(key) + "'");
    }
  }
}

std::optional<scalar> read_scalar(context& ctx, const field& f, std::string_view expected) {
  if (!f.node.IsScalar()) {
    ctx.error(f.pos, f.path,
              "expected " + std::string(expected) + ", got " + describe_kind(f.node));
    return std::nullopt;
  }
  const std::string& raw = f.node.Scalar();
  interpolation expanded = interpolate(raw, ctx.base_dir, ctx.env);
  for (auto& message : expanded.errors) ctx.error(f.pos, f.path, std::move(message));
  if (!expanded.errors.empty()) return std::nullopt;
  // yaml-cpp tags plain scalars "?", quoted and block scalars "!", and keeps explicit tags.
  return scalar{std::move(expanded.text), raw, f.node.Tag() == "?", expanded.substituted};
}

std::optional<std::string> read_string(context& ctx, const field& f) {
  auto s = read_scalar(ctx, f, "a string");
  if (!s) return std::nullopt;
  return std::move(s->value);
}

bool parse_bool(std::string_view text, bool& out) {
  // The YAML 1.2 core schema spellings; yes/no/on/off are strings.
  if (text == "true" || text == "True" || text == "TRUE") {
    out = true;
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

bool is_identifier(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<bool> read_bool(context& ctx, const field& f) {
  auto s = read_scalar(ctx, f, "true or false");
  if (!s) return std::nullopt;
  bool value = false;
  if (!parse_bool(s->value, value)) {
    ctx.error(f.pos, f.path, "expected true or false, got " + quote(*s));
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> read_int(context& ctx, const field& f, std::int64_t min,
                                     std::int64_t max, std::string_view expected) {
  auto s = read_scalar(ctx, f, expected);
  if (!s) return std::nullopt;
  std::string_view text = s->value;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    ctx.error(f.pos, f.path, "expected " + std::string(expected) + ", got " + quote(*s));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> read_choice(context& ctx, const field& f, std::string_view what,
                                       std::initializer_list<std::string_view> choices) {
  auto s = read_scalar(ctx, f, "a string");
  if (!s) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), s->value) == choices.end()) {
    ctx.error(f.pos, f.path,
              "unknown " + std::string(what) + " " + quote(*s) +
                  " (expected one of: " + join(choices) + ")");
    return std::nullopt;
  }
  return std::move(s->value);
}

}  // namespace patchbay::config::detail
