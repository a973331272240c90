// YAML subtrees (agent options, channel `config:`) to JSON. Quoted scalars stay strings; plain
// scalars are typed by their text after interpolation, so `port: ${PORT:-8080}` is a number.
#include "config/detail.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>

namespace patchbay::config::detail {
namespace {

// Anchors and aliases can describe cycles and exponential trees; both limits stop those.
constexpr int max_depth = 64;
constexpr std::size_t max_nodes = 100'000;

void report_value_cap(context& ctx, const field& f) {
  ctx.error(f.pos, f.path, "more than " + std::to_string(max_nodes) + " values");
}

struct converter {
  context& ctx;
  std::size_t nodes = 0;
  bool aborted = false;

  boost::json::value convert(const field& f, int depth) {
    if (aborted) return nullptr;
    if (depth > max_depth) {
      ctx.error(f.pos, f.path, "nested more than " + std::to_string(max_depth) + " levels deep");
      aborted = true;
      return nullptr;
    }
    if (++nodes > max_nodes) {
      report_value_cap(ctx, f);
      aborted = true;
      return nullptr;
    }
    switch (f.node.Type()) {
      case YAML::NodeType::Scalar: {
        auto s = read_scalar(ctx, f, "a value");
        if (!s) return nullptr;
        if (!s->plain) return boost::json::string(s->value);
        return typed_scalar(s->value, s->substituted);
      }
      case YAML::NodeType::Sequence: {
        if (too_many_entries(f)) return nullptr;
        boost::json::array array;
        for (const auto& item : list_items(ctx, f, "a list")) {
          array.push_back(convert(item, depth + 1));
        }
        return array;
      }
      case YAML::NodeType::Map: {
        if (too_many_entries(f)) return nullptr;
        boost::json::object object;
        for (const auto& entry : map_entries(ctx, f, "a map")) {
          object.emplace(entry.key, convert(entry, depth + 1));
        }
        return object;
      }
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        break;
    }
    return nullptr;
  }

  // Every entry is one more value at least: a map or list with more entries than the cap has
  // left is refused before its entries are read (for a huge map, reading them is the cost).
  bool too_many_entries(const field& f) {
    if (f.node.size() <= max_nodes - nodes) return false;
    report_value_cap(ctx, f);
    aborted = true;
    return true;
  }
};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Unsigned part of a number: no leading zeros, so ids such as 007 stay strings.
bool plain_digits(std::string_view s) { return all_digits(s) && (s.size() == 1 || s[0] != '0'); }

std::optional<boost::json::value> as_integer(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (!plain_digits(digits)) return std::nullopt;
  if (text[0] != '-') {
    std::uint64_t u = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    if (u <= static_cast<std::uint64_t>(INT64_MAX))
      return boost::json::value(static_cast<std::int64_t>(u));
    return boost::json::value(u);
  }
  std::int64_t i = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return boost::json::value(i);
}

// [-+]? (digits [. digits*]? | . digits) ([eE] [-+]? digits)?, with a '.' or an exponent.
std::optional<boost::json::value> as_float(std::string_view text) {
  std::string_view rest = text;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) rest.remove_prefix(1);
  const auto exp_at = rest.find_first_of("eE");
  const std::string_view mantissa = rest.substr(0, exp_at);
  const auto dot = mantissa.find('.');
  const std::string_view whole = mantissa.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view() : mantissa.substr(dot + 1);
  if (dot == std::string_view::npos && exp_at == std::string_view::npos) return std::nullopt;
  if (whole.empty() && frac.empty()) return std::nullopt;
  if (!whole.empty() && !plain_digits(whole)) return std::nullopt;
  if (!frac.empty() && !all_digits(frac)) return std::nullopt;
  if (exp_at != std::string_view::npos) {
    std::string_view exp = rest.substr(exp_at + 1);
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) exp.remove_prefix(1);
    if (!all_digits(exp)) return std::nullopt;
  }
  // from_chars takes no '+' sign.
  const std::string_view parse = text[0] == '+' ? text.substr(1) : text;
  double d = 0;
  const auto [end, ec] = std::from_chars(parse.data(), parse.data() + parse.size(), d);
  if (ec != std::errc() || end != parse.data() + parse.size() || !std::isfinite(d)) {
    return std::nullopt;
  }
  return boost::json::value(d);
}

}  // namespace

boost::json::value typed_scalar(std::string_view text, bool substituted) {
  // An empty expansion (${X:-}) is an explicit empty string, not YAML's empty value.
  if (text.empty()) return substituted ? boost::json::value(boost::json::string()) : nullptr;
  if (text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  bool b = false;
  if (parse_bool(text, b)) return b;
  if (auto i = as_integer(text)) return *i;
  if (auto d = as_float(text)) return *d;
  return boost::json::string(text);
}

boost::json::value to_json(context& ctx, const field& f) { return converter{ctx}.convert(f, 0); }

bool exceeds_value_cap(context& ctx, const field& f, std::size_t other_keys) {
  if (!f.node.IsMap() || f.node.size() <= max_nodes + other_keys) return false;
  report_value_cap(ctx, f);
  return true;
}

std::string entries_to_json_object(context& ctx, const std::vector<field>& entries) {
  converter conv{ctx};
  boost::json::object object;
  for (const auto& entry : entries) object.emplace(entry.key, conv.convert(entry, 1));
  return boost::json::serialize(object);
}

}  // namespace patchbay::config::detail
