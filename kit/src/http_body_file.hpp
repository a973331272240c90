// The file an http_fetch writes a 2xx answer's body into (http_client_request::body_file; private
// header: kit/src only). Plain buffered stdio writes: the target is a local file.
#pragma once

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

namespace patchbay::kit::detail {

class http_body_file {
 public:
  http_body_file() = default;
  http_body_file(const http_body_file&) = delete;
  http_body_file& operator=(const http_body_file&) = delete;
  ~http_body_file() {
    if (f_ != nullptr) std::fclose(f_);
  }

  // Creates or truncates `path`; "" or the error.
  std::string open(const std::string& path) {
    f_ = std::fopen(path.c_str(), "wb");
    if (f_ == nullptr) return "file: cannot open " + path + ": " + why();
    return {};
  }
  std::string write(std::string_view bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size())
      return std::string("file: write failed: ") + why();
    return {};
  }
  // Flushes and closes; "" or the error.
  std::string close() {
    std::FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0) return std::string("file: write failed: ") + why();
    return {};
  }

 private:
  static std::string why() { return std::error_code(errno, std::generic_category()).message(); }

  std::FILE* f_ = nullptr;
};

}  // namespace patchbay::kit::detail
