// Shared helpers for the config tests: a fake environment (load_config takes a plain function
// pointer, so the fake lives in a function-local static), data paths and error formatting.
#pragma once

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pbtest {

inline std::map<std::string, std::string>& fake_env() {
  static std::map<std::string, std::string> env;
  return env;
}

inline std::optional<std::string> fake_lookup(const std::string& name) {
  const auto it = fake_env().find(name);
  if (it == fake_env().end()) return std::nullopt;
  return it->second;
}

// Absolute, normalised data directory (what load_config uses as the base for relative paths).
inline std::string data_dir() {
  return std::filesystem::path(PB_CONFIG_TEST_DATA).lexically_normal().string();
}
inline std::string data_path(const std::string& name) { return data_dir() + "/" + name; }

inline std::vector<std::string> texts(const patchbay::config::load_result& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.to_string());
  return out;
}

// Inline YAML, reported as "test.yaml", relative paths against /etc/patchbay.
inline patchbay::config::load_result parse(const std::string& yaml,
                                           const std::string& base_dir = "/etc/patchbay") {
  return patchbay::config::parse_config(yaml, "test.yaml", base_dir, &fake_lookup);
}

// The errors of `yaml`, which must not load.
inline std::vector<std::string> errors_of(const std::string& yaml) {
  auto r = parse(yaml);
  EXPECT_FALSE(r.cfg.has_value());
  return texts(r);
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_env().clear(); }
  void TearDown() override { fake_env().clear(); }
};

}  // namespace pbtest
