// A structural check of a Prometheus text exposition (tests only): every sample belongs to a
// family declared by one `# HELP` and one `# TYPE` line before it, a family's samples are
// contiguous, histogram buckets are cumulative and end in le="+Inf" equal to `_count`. Returns ""
// or the first problem found. (promtool checks more where it is installed: integration tests.)
#pragma once

#include <map>
#include <set>
#include <sstream>
#include <string>

namespace metrics_check {

inline std::string base_name(const std::string& sample,
                             const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (sample.size() > s.size() && sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
      std::string base = sample.substr(0, sample.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && it->second == "histogram") return base;
    }
  }
  return sample;
}

// The value of label `name` in a sample line ("" if absent; no escapes inside).
inline std::string label_of(const std::string& line, const std::string& name) {
  auto p = line.find(name + "=\"");
  if (p == std::string::npos) return "";
  p += name.size() + 2;
  return line.substr(p, line.find('"', p) - p);
}

inline std::string check_exposition(const std::string& text) {
  std::map<std::string, std::string> types;
  std::set<std::string> helps, closed;
  std::string current;
  double last_bucket = -1;
  std::string last_bucket_series;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "line " + std::to_string(n) + ": " + line;
    if (line.rfind("# HELP ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      if (!helps.insert(name).second) return "second HELP: " + where;
      if (!current.empty() && current != name) closed.insert(current);
      current = name;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      std::string name = rest.substr(0, rest.find(' '));
      std::string type = rest.substr(rest.find(' ') + 1);
      if (name != current) return "TYPE without its HELP: " + where;
      if (types.count(name)) return "second TYPE: " + where;
      if (type != "counter" && type != "gauge" && type != "histogram")
        return "unknown type: " + where;
      types[name] = type;
      continue;
    }
    if (line.empty() || line[0] == '#') return "unexpected line: " + where;
    const std::string sample = line.substr(0, line.find_first_of("{ "));
    const std::string family = base_name(sample, types);
    if (!types.count(family)) return "sample without TYPE: " + where;
    if (family != current || closed.count(family)) return "family not contiguous: " + where;
    const std::string value = line.substr(line.rfind(' ') + 1);
    if (value.empty()) return "no value: " + where;
    const std::string total = "_total";
    if (types[family] == "counter" &&
        (sample.size() <= total.size() ||
         sample.compare(sample.size() - total.size(), total.size(), total) != 0))
      return "counter without _total: " + where;
    if (sample == family + "_bucket") {
      std::string series = line.substr(0, line.find("le=\""));
      double v = std::stod(value);
      if (series == last_bucket_series && v < last_bucket)
        return "buckets not cumulative: " + where;
      last_bucket_series = series;
      last_bucket = v;
    }
  }
  return "";
}

}  // namespace metrics_check
