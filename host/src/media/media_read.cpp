#include "media/media_read.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace patchbay::media {

namespace {

// The message of a JSON error reply ({"error": {"code", "message"}}), else the body.
std::string reason_of(const reply& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (const auto* e = v.as_object().if_contains("error"); e && e->is_object())
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string())
        return "HTTP " + std::to_string(r.status) + ": " + std::string(m->as_string());
  return "HTTP " + std::to_string(r.status);
}

}  // namespace

void read_bytes(service& svc, const std::string& id, uint64_t max_bytes,
                std::function<void(read_result)> done) {
  svc.get(id, [max_bytes, done = std::move(done)](const reply& r) {
    read_result out;
    if (r.status != 200 || r.body_file.empty()) {
      out.error = reason_of(r);
      return done(std::move(out));
    }
    // On the service's strand, which also evicts: the cached file is still there.
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(r.body_file, ec);
    if (ec) {
      out.error = "the cached file is gone";
      return done(std::move(out));
    }
    if (size > max_bytes) {
      out.error = "it is " + std::to_string(size) + " bytes, over the limit of " +
                  std::to_string(max_bytes);
      return done(std::move(out));
    }
    std::ifstream in(r.body_file, std::ios::binary);
    out.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      out.bytes.clear();
      out.error = "the cached file could not be read";
      return done(std::move(out));
    }
    out.ok = true;
    out.mime_type = r.content_type;
    done(std::move(out));
  });
}

}  // namespace patchbay::media
