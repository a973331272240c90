// The Prometheus text exposition format (version 0.0.4): one `# HELP` and one `# TYPE` line per
// metric family, then its samples, `name{label="value",...} number`. Label values escape `\`, `"`
// and newline; HELP texts escape `\` and newline. A histogram is written as its cumulative
// `_bucket{le="..."}` series ending in `le="+Inf"`, then `_sum` and `_count`.
//
// Usage: family(...) once, then that family's samples, then the next family. Not thread-safe (one
// writer per scrape).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "metrics/instruments.hpp"

namespace patchbay::metrics {

enum class metric_type { counter, gauge, histogram };

// A label: name (a fixed identifier) and value (any text; escaped when written).
using label = std::pair<std::string_view, std::string_view>;

std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
// A sample value: integers as integers, others in the shortest form that reads back exactly;
// "+Inf", "-Inf", "NaN" for the special values.
std::string format_value(double v);

class text_writer {
 public:
  void family(std::string_view name, std::string_view help, metric_type type);
  void sample(std::string_view name, std::initializer_list<label> labels, double value);
  void sample(std::string_view name, std::initializer_list<label> labels, uint64_t value);
  void sample(std::string_view name, std::initializer_list<label> labels, int64_t value);
  // `name` is the family's name (without _bucket/_sum/_count).
  void histogram(std::string_view name, std::initializer_list<label> labels,
                 const histogram::snapshot& s);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void start_sample(std::string_view name, std::initializer_list<label> labels,
                    const label* extra = nullptr);

  std::string out_;
};

}  // namespace patchbay::metrics
