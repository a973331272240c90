// Feishu/Lark family: images and files both ways (docs/protocols/feishu-lark.md §3.9) as pure
// request builders, content parsers and answer parsers. The transport is the plugin's.
//
//   inbound   message content → attachments: image {"image_key"}, file {"file_key","file_name"},
//             audio {"file_key","duration"}, media (video) {"file_key","image_key"(cover),
//             "file_name","duration"}, sticker {"file_key"}, post `img` / `media` elements.
//             The attachment id is "<type>:<key>" with type image|file, what the download needs
//             besides the message id (which the fetch request carries).
//   download  GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=image|file
//             (the bytes; the platform serves up to 100 MB; stickers cannot be downloaded)
//   upload    POST /open-apis/im/v1/images  multipart: image_type=message, image (≤ 10 MiB)
//             POST /open-apis/im/v1/files   multipart: file_type (opus|mp4|pdf|doc|xls|ppt|
//                                           stream), file_name, [duration], file (≤ 30 MiB)
//             answers {"code":0,"data":{"image_key"}} / {"code":0,"data":{"file_key"}}
//   send      image {"image_key"}, file {"file_key"}, audio {"file_key"} (an opus upload),
//             media {"file_key"} (an mp4 upload)
//
// The multipart body is built in memory (≤ 30 MiB plus a few hundred bytes). A non-ASCII file
// name is percent-encoded (UTF-8, RFC 3986) in the part's `filename` parameter; the `file_name`
// field keeps the UTF-8 name the chat shows. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feishu_lark/proto/messages_api.hpp"
#include "feishu_lark/proto/open_api.hpp"

namespace patchbay::plugins::feishu_family {

namespace media_limit {
inline constexpr uint64_t image_bytes = uint64_t{10} << 20;      // POST im/v1/images
inline constexpr uint64_t file_bytes = uint64_t{30} << 20;       // POST im/v1/files
inline constexpr uint64_t download_bytes = uint64_t{100} << 20;  // GET …/resources/…
}  // namespace media_limit

namespace api_path {
inline constexpr std::string_view images = "/open-apis/im/v1/images";
inline constexpr std::string_view files = "/open-apis/im/v1/files";
}  // namespace api_path

// ---- inbound ----

struct inbound_attachment {
  std::string kind;  // image, file, audio, video, sticker
  std::string id;    // "image:<image_key>" or "file:<file_key>"
  std::string name;  // file name when the platform gives one
  std::string mime_type;
  uint64_t size = 0;  // 0 = unknown (Feishu events carry no size)
};

// The attachments of a message of `message_type` (as in the event) with `content_json`; empty
// for text and unknown types or unreadable content.
std::vector<inbound_attachment> attachments_of(std::string_view message_type,
                                               std::string_view content_json);

struct resource_ref {
  std::string type;  // "image" | "file": the ?type= of the download
  std::string key;
};
std::string resource_id(std::string_view type, std::string_view key);
// nullopt unless "image:<key>" or "file:<key>" with a non-empty key.
std::optional<resource_ref> parse_resource_id(std::string_view id);
api_request resource_request(std::string_view message_id, const resource_ref& r);

// The MIME type of a file name by its extension ("" when unknown), and the media type of a
// Content-Type header (parameters and spaces dropped, lower-cased).
std::string mime_from_name(std::string_view name);
std::string media_type_of(std::string_view content_type);

// ---- outbound ----

struct upload_plan {
  bool image = false;     // im/v1/images; otherwise im/v1/files
  std::string file_type;  // files: opus, mp4, pdf, doc, xls, ppt, stream
  std::string msg_type;   // image, file, audio, media
  std::string file_name;  // never empty for files
  uint64_t limit = 0;     // the endpoint's size limit (bytes)
};

// What to upload and send for an attachment of `kind` (image, file, audio, video), `name` and
// `mime` (either may be empty) holding `size` bytes. An image in a format the image endpoint
// does not take, or over 10 MiB, goes as a file; audio other than opus and video other than mp4
// go as files. Fails (invalid_input, a message naming the limit) for an empty file or one over
// 30 MiB.
struct upload_decision {
  api_error error;
  upload_plan plan;
};
upload_decision plan_upload(std::string_view kind, std::string_view name, std::string_view mime,
                            uint64_t size);

struct multipart_part {
  std::string name;          // form field name
  std::string filename;      // set for a file part (percent-encoded when not ASCII)
  std::string content_type;  // file parts; "" = application/octet-stream
  std::string data;
};
// multipart/form-data body with `boundary` (which must not occur in the data: use
// multipart_boundary(seed)).
std::string multipart_body(std::string_view boundary, const std::vector<multipart_part>& parts);
std::string multipart_content_type(std::string_view boundary);
// A boundary derived from `seed` (e.g. the file's MD5): 40 characters.
std::string multipart_boundary(std::string_view seed);
// A file name as it goes into a part's filename="…": ASCII printable kept (quotes and
// backslashes escaped), anything else percent-encoded.
std::string multipart_filename(std::string_view name);

// The upload request for `plan` with the file's bytes; `boundary` as above.
api_request upload_request(const upload_plan& plan, std::string_view mime, std::string bytes,
                           std::string_view boundary);

struct upload_result {
  api_error error;
  std::string key;  // image_key or file_key
};
upload_result parse_upload_response(const upload_plan& plan, int http_status, std::string_view body,
                                    std::string_view ratelimit_reset = {});

// The message content for an uploaded key: {"image_key"} or {"file_key"}.
outgoing media_message(std::string_view msg_type, std::string_view key);

}  // namespace patchbay::plugins::feishu_family
