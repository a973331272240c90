// Outbound attachments (docs/architecture.md §4): turns an agent's or API caller's file
// (messages::attachment_spec) into a spool file the plugin reads: a `url` fetched with the kit HTTP
// client (https, or http to loopback; total deadline; redirects bounded and each target checked
// again; the body capped), a `path` under the operator's allowed directories (canonicalised,
// symbolic links resolved), or `data_base64` decoded. The bytes land in
// `<spool_dir>/<random>.<ext>` (created 0700), fsynced, with their size and MD5; the file is
// refused past the smaller of `max_bytes` and the channel's limit.
//
// Blocking work (reading a path, decoding, writing the spool file, the MD5) runs on the
// materializer's own thread, never on an I/O thread; its queue is bounded (`max_jobs`: past it a
// request fails at once with a "busy" reason). The whole file is held in memory once (at most
// the limit). `done` runs once, on that thread or a runtime thread (hop to your own strand);
// after the materializer is destroyed pending requests never complete.
//
// Whoever gets the spool file owns it: an outbound queue row (outbound_row::spool_path) deletes
// it with the row; sweep() at start-up deletes the ones no live row holds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "messages/messages.hpp"

namespace patchbay::kit {
class io_runtime;
}

namespace patchbay::media {

struct outbound_options {
  std::string spool_dir;                   // <state dir>/media-out
  std::vector<std::string> allowed_paths;  // directories a `path` may be under; none = refused
  std::uint64_t max_bytes = std::uint64_t{30} << 20;
  std::chrono::milliseconds fetch_timeout{60'000};
  int max_redirects = 3;
  std::string ca_file;  // tests: trust this PEM for https fetches
  std::size_t max_jobs = 32;
};

struct materialized {
  std::optional<messages::outbound_attachment> file;  // set on success (path = the spool file)
  std::string reason;  // otherwise: why, user-facing (no path, no url, no secret)
  bool too_large = false;
};

class outbound_materializer {
 public:
  outbound_materializer(kit::io_runtime& rt, outbound_options opt);
  ~outbound_materializer();
  outbound_materializer(const outbound_materializer&) = delete;
  outbound_materializer& operator=(const outbound_materializer&) = delete;

  // `channel_max`: the channel's max_attachment_size (0 = unknown: only max_bytes applies).
  void materialize(const messages::attachment_spec& spec, std::uint64_t channel_max,
                   std::function<void(materialized)> done);

  const outbound_options& options() const;

  // Start-up (blocking): deletes the files in `dir` that `keep` does not name; returns how many.
  static std::size_t sweep(const std::string& dir, const std::set<std::string>& keep);

 private:
  struct state;
  std::shared_ptr<state> st_;
};

}  // namespace patchbay::media
