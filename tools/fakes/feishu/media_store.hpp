// patchbay-fake-feishu: the images and files the platform holds — uploaded by an app
// (POST im/v1/images, im/v1/files) or "sent by users" (staged by /_fake/inject with data_base64)
// — with their bytes and MD5, the messages that carry them (what GET …/resources/:key serves),
// and the multipart/form-data reader the upload endpoints check their bodies with.
//
// Bounded: past max_bytes of stored data the oldest files are forgotten. Not thread-safe (owned by
// fake_feishu).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/array.hpp>

namespace patchbay::fakes::feishu {

struct stored_file {
  std::string key;            // img_v3_… / file_v3_…
  std::string app_id;         // the uploading app; "" for a user's file
  bool image = false;         // an image key (download with type=image)
  std::string file_type;      // files: opus, mp4, pdf, doc, xls, ppt, stream
  std::string file_name;      // the file_name field, or the user's file name
  std::string part_filename;  // the multipart part's filename, percent-decoded
  std::string content_type;
  std::string data;
  std::string md5;  // hex
  std::int64_t duration_ms = -1;
  std::vector<std::string> message_ids;  // messages carrying it
};

class media_store {
 public:
  explicit media_store(std::size_t max_bytes = std::size_t{512} << 20) : max_(max_bytes) {}

  stored_file& add(stored_file f);
  stored_file* find(std::string_view key);
  boost::json::array to_json() const;  // without the bytes
  void clear();

 private:
  std::size_t max_;
  std::size_t bytes_ = 0;
  std::unordered_map<std::string, stored_file> files_;
  std::deque<std::string> order_;
};

struct form_part {
  std::string name;
  std::string filename;  // as sent (not decoded); empty for a plain field
  bool has_filename = false;
  std::string content_type;
  std::string data;
};

// Reads a multipart/form-data body whose Content-Type header is `content_type`; "" or what is
// wrong (no boundary, a part without Content-Disposition, a missing closing delimiter …).
std::string parse_multipart(std::string_view content_type, std::string_view body,
                            std::vector<form_part>& out);

// What /_fake/requests records of a multipart body (the bytes are binary, the log is JSON): one
// line per part, `name="…" filename="…" (as sent) <N bytes>` for a file part and `name="…" value`
// for a field; the reader's error when the body is malformed.
std::string multipart_summary(std::string_view content_type, std::string_view body);

// RFC 3986 percent-decoding ("%E6%8A%A5" → UTF-8 bytes); malformed escapes stay as they are.
std::string percent_decode(std::string_view s);

}  // namespace patchbay::fakes::feishu
