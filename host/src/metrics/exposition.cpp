#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace patchbay::metrics {

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return {buf, end};
}

void text_writer::family(std::string_view name, std::string_view help, metric_type type) {
  out_.append("# HELP ").append(name).append(" ").append(escape_help(help)).append("\n");
  out_.append("# TYPE ").append(name).append(" ");
  switch (type) {
    case metric_type::counter:
      out_ += "counter";
      break;
    case metric_type::gauge:
      out_ += "gauge";
      break;
    case metric_type::histogram:
      out_ += "histogram";
      break;
  }
  out_ += '\n';
}

void text_writer::start_sample(std::string_view name, std::initializer_list<label> labels,
                               const label* extra) {
  out_.append(name);
  if (labels.size() == 0 && extra == nullptr) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  auto one = [&](const label& l) {
    if (!first) out_ += ',';
    first = false;
    out_.append(l.first).append("=\"").append(escape_label_value(l.second)).append("\"");
  };
  for (const auto& l : labels) one(l);
  if (extra != nullptr) one(*extra);
  out_ += "} ";
}

void text_writer::sample(std::string_view name, std::initializer_list<label> labels, double value) {
  start_sample(name, labels);
  out_.append(format_value(value)).append("\n");
}

void text_writer::sample(std::string_view name, std::initializer_list<label> labels,
                         uint64_t value) {
  start_sample(name, labels);
  out_.append(std::to_string(value)).append("\n");
}

void text_writer::sample(std::string_view name, std::initializer_list<label> labels,
                         int64_t value) {
  start_sample(name, labels);
  out_.append(std::to_string(value)).append("\n");
}

void text_writer::histogram(std::string_view name, std::initializer_list<label> labels,
                            const histogram::snapshot& s) {
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
    const std::string le = i < s.bounds.size() ? format_value(s.bounds[i]) : "+Inf";
    const label extra{"le", le};
    start_sample(bucket, labels, &extra);
    out_.append(std::to_string(s.cumulative[i])).append("\n");
  }
  start_sample(std::string(name) + "_sum", labels);
  out_.append(format_value(s.sum_seconds)).append("\n");
  start_sample(std::string(name) + "_count", labels);
  out_.append(std::to_string(s.count)).append("\n");
}

}  // namespace patchbay::metrics
