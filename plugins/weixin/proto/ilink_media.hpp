// iLink media as pure functions (docs/protocols/weixin-ilink.md §2.3, §4.3): the attachments of
// an inbound message and the compact handle that lets fetch_attachment download one later; the
// getuploadurl request and answer, the CDN upload's outcome, and the sendmessage body carrying one
// uploaded media item. No I/O, no Asio; the cipher is media_crypto.hpp.
//
// Thread safety: every function is pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "ilink_protocol.hpp"

namespace patchbay::weixin {

// The item kinds that carry a CDN file; the values are getuploadurl's `media_type`.
enum class media_kind { image = 1, video = 2, file = 3, voice = 4 };

// What a download needs, kept in pb_attachment.id: the kind, the 16-byte key (empty: the file is
// not encrypted, as an image without a key), and where the ciphertext is (the server's full_url,
// else encrypt_query_param under the configured CDN base). Holds no credential of the bot.
struct media_ref {
  media_kind kind = media_kind::file;
  std::string key;       // 16 raw bytes, or empty
  std::string param;     // encrypt_query_param ("" when full_url is set)
  std::string full_url;  // media.full_url ("" = build from param)
};

// "wx1:<i|v|f|a>:<32 hex key or empty>:<p|u>:<param or url>".
std::string encode_media_id(const media_ref& r);
// nullopt for anything encode_media_id did not make (never throws, any input).
std::optional<media_ref> decode_media_id(std::string_view id);
// full_url, else "<cdn_base>/download?encrypted_query_param=<urlenc param>".
std::string media_download_url(const media_ref& r, std::string_view cdn_base);

// Every item of `msg.item_list` that is not text becomes one attachment, in order; none is
// dropped. `voice_text` receives the first voice transcription (voice_item.text), if any.
std::vector<inbound_attachment> read_attachments(const boost::json::object& msg,
                                                 std::string& voice_text);

// The MIME type of a file by its name's extension ("" when unknown).
std::string mime_from_name(std::string_view file_name);
// The MIME type of decrypted image bytes by their magic (JPEG, PNG, GIF, WebP, BMP), else "".
std::string sniff_image_mime(std::string_view head);

// getuploadurl's media_type for an outbound attachment: image/* or kind "image" → image,
// video/* or "video" → video, audio/silk → voice, anything else → file.
media_kind upload_kind(std::string_view kind, std::string_view mime_type);

struct upload_request {
  std::string filekey;  // random hex
  media_kind kind = media_kind::file;
  std::string to_user;
  std::uint64_t rawsize = 0;
  std::string rawfilemd5;  // lower-case hex
  std::string aeskey_hex;  // the key as 32 hex chars
};
// filesize = cipher_size(rawsize), no_need_thumb true, base_info.
std::string getuploadurl_body(const client_identity& id, const upload_request& u);

// The URL to POST the ciphertext to: upload_full_url, else
// "<cdn_base>/upload?encrypted_query_param=<urlenc upload_param>&filekey=<urlenc filekey>".
// An answer without either (or an error answer) is a classified failure.
struct upload_url {
  std::optional<std::string> url;
  classified_error error;  // when !url
};
upload_url parse_upload_url(const std::string& transport_error, unsigned http_status,
                            std::string_view body, std::string_view cdn_base,
                            std::string_view filekey);

// One CDN upload attempt's outcome: done (the x-encrypted-param download parameter), retry
// (transport error, 5xx, other non-200, 200 without the header), or final (a 4xx: the
// x-error-message text, else the body's start).
struct cdn_upload_result {
  enum class what { done, retry, final };
  what outcome = what::retry;
  std::string download_param;
  std::string error;
};
cdn_upload_result classify_cdn_upload(const std::string& transport_error, unsigned http_status,
                                      std::string_view x_encrypted_param,
                                      std::string_view x_error_message, std::string_view body);
inline constexpr int cdn_upload_attempts = 3;

// The media item of a sendmessage after a successful upload.
struct uploaded_media {
  media_kind kind = media_kind::file;
  std::string download_param;  // x-encrypted-param
  std::string key;             // 16 raw bytes
  std::uint64_t rawsize = 0;
  std::string file_name;  // file items
};
// sendmessage with exactly one item: image_item {media, mid_size}, video_item {media,
// video_size}, file_item {media, file_name, len}, voice_item {media, encode_type 6 (SILK)};
// media = {encrypt_query_param, aes_key = outbound_aes_key_field(key), encrypt_type 1}.
std::string sendmessage_media_body(const client_identity& id, std::string_view to_user,
                                   const uploaded_media& m, std::string_view context_token,
                                   std::string_view client_id);

// The stable client_id of a media send (its turn id, the file's MD5 and name), like
// make_stable_client_id for text.
std::string make_stable_media_client_id(std::string_view turn_id, std::string_view md5_hex,
                                        std::string_view name);

}  // namespace patchbay::weixin
