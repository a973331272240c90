// iLink media without sockets: the AES-128-ECB/PKCS7 cipher (whole and streamed, sizes, both
// inbound key spellings), the attachment handle, inbound items → attachments, the getuploadurl
// body and answer, the CDN upload's outcomes, the media sendmessage body, the encrypted file and
// the capped decrypting download sink.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"
#include "weixin/proto/ilink_media.hpp"
#include "weixin/proto/media_crypto.hpp"
#include "weixin/proto/media_file.hpp"

namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace patchbay::weixin;
using patchbay::common::base64_decode;
using patchbay::common::base64_encode;
using patchbay::common::hex;

const std::string key16 = "0123456789abcdef";

std::string bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return s;
}

struct temp_dir {
  fs::path path = fs::temp_directory_path() /
                  ("wx-media-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                   "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};

TEST(IlinkMedia, CipherSizeIsPkcs7Padded) {
  EXPECT_EQ(cipher_size(0), 16u);
  EXPECT_EQ(cipher_size(1), 16u);
  EXPECT_EQ(cipher_size(15), 16u);
  EXPECT_EQ(cipher_size(16), 32u);
  EXPECT_EQ(cipher_size(17), 32u);
  EXPECT_EQ(cipher_size(1000), 1008u);
  for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 1000u, 65537u})
    EXPECT_EQ(aes_ecb_encrypt(bytes(n), key16)->size(), cipher_size(n)) << n;
}

TEST(IlinkMedia, RoundTripsWholeAndStreamedInAnyPieces) {
  for (std::size_t n : {0u, 1u, 16u, 100u, 4097u}) {
    const std::string plain = bytes(n);
    const auto whole = aes_ecb_encrypt(plain, key16);
    ASSERT_TRUE(whole);
    EXPECT_EQ(aes_ecb_decrypt(*whole, key16), plain);
    for (std::size_t step : {1u, 7u, 16u, 33u}) {
      aes_ecb_stream enc(aes_ecb_stream::mode::encrypt, key16);
      std::string c;
      for (std::size_t i = 0; i < plain.size(); i += step)
        ASSERT_TRUE(enc.update(std::string_view(plain).substr(i, step), c));
      ASSERT_TRUE(enc.finish(c));
      EXPECT_EQ(c, *whole) << n << "/" << step;
      aes_ecb_stream dec(aes_ecb_stream::mode::decrypt, key16);
      std::string p;
      for (std::size_t i = 0; i < c.size(); i += step)
        ASSERT_TRUE(dec.update(std::string_view(c).substr(i, step), p));
      ASSERT_TRUE(dec.finish(p));
      EXPECT_EQ(p, plain) << n << "/" << step;
    }
  }
}

TEST(IlinkMedia, KnownAnswerMatchesAes128Ecb) {
  // FIPS-197 appendix C.1: key 000102..0f, plaintext 00112233..ff → 69c4e0d8...; PKCS7 then adds a
  // whole block of 0x10 for a 16-byte input.
  const auto key = patchbay::common::from_hex("000102030405060708090a0b0c0d0e0f");
  const auto plain = patchbay::common::from_hex("00112233445566778899aabbccddeeff");
  const auto c = aes_ecb_encrypt(*plain, *key);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 32u);
  EXPECT_EQ(hex(c->substr(0, 16)), "69c4e0d86a7b0430d8cdb78070b4c55a");
}

TEST(IlinkMedia, WrongKeyOrTruncatedCipherFails) {
  const auto c = aes_ecb_encrypt("some secret bytes", key16);
  ASSERT_TRUE(c);
  // A wrong key almost always breaks the padding check; a truncated cipher always fails.
  EXPECT_FALSE(aes_ecb_decrypt(c->substr(0, 16 + 1), key16));
  EXPECT_FALSE(aes_ecb_decrypt("", key16));
  EXPECT_FALSE(aes_ecb_encrypt("x", "short-key"));
  aes_ecb_stream bad(aes_ecb_stream::mode::decrypt, "short");
  std::string out;
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(bad.update("0123456789abcdef", out));
}

TEST(IlinkMedia, InboundKeyAcceptsBothSpellingsAndImageHexWins) {
  const std::string raw_b64 = base64_encode(key16);       // images: base64 of 16 raw bytes
  const std::string hex_b64 = base64_encode(hex(key16));  // file/voice/video: base64 of hex
  EXPECT_EQ(inbound_media_key(raw_b64, ""), key16);
  EXPECT_EQ(inbound_media_key(hex_b64, ""), key16);
  const std::string other = "fedcba9876543210";
  EXPECT_EQ(inbound_media_key(raw_b64, hex(other)), other);  // image_item.aeskey wins
  EXPECT_EQ(inbound_media_key("", hex(other)), other);
  EXPECT_EQ(inbound_media_key(raw_b64, "not-hex"), key16);  // a bad aeskey is ignored
  EXPECT_FALSE(inbound_media_key("", ""));
  EXPECT_FALSE(inbound_media_key("%%%", ""));
  EXPECT_FALSE(inbound_media_key(base64_encode("twelve bytes"), ""));
}

TEST(IlinkMedia, OutboundKeyFieldIsBase64OfTheHexString) {
  const auto decoded = base64_decode(outbound_aes_key_field(key16));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, hex(key16));
  EXPECT_EQ(decoded->size(), 32u);
}

TEST(IlinkMedia, MediaIdRoundTripsAndRefusesForeignText) {
  media_ref a{media_kind::image, key16, "PARAM:with:colons", ""};
  auto back = decode_media_id(encode_media_id(a));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, media_kind::image);
  EXPECT_EQ(back->key, key16);
  EXPECT_EQ(back->param, "PARAM:with:colons");
  EXPECT_EQ(media_download_url(*back, "http://cdn/c2c/"),
            "http://cdn/c2c/download?encrypted_query_param=PARAM%3Awith%3Acolons");
  media_ref b{media_kind::voice, "", "", "https://cdn.example/x?y=1"};
  back = decode_media_id(encode_media_id(b));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, media_kind::voice);
  EXPECT_TRUE(back->key.empty());
  EXPECT_EQ(media_download_url(*back, "http://cdn"), "https://cdn.example/x?y=1");
  for (const char* bad : {"", "wx1:", "wx1:i::p:", "wx1:z::p:x", "wx1:i:abc:p:x", "wx1:i::q:x",
                          "wx2:i::p:x", "om_123"})
    EXPECT_FALSE(decode_media_id(bad)) << bad;
}

TEST(IlinkMedia, EveryNonTextItemBecomesAnAttachment) {
  const std::string hex_b64 = base64_encode(hex(key16));
  const std::string raw_b64 = base64_encode(key16);
  auto msg = json::parse(R"({"item_list":[
    {"type":1,"text_item":{"text":"look"}},
    {"type":2,"image_item":{"media":{"encrypt_query_param":"IMG","aes_key":")" +
                         raw_b64 +
                         R"("},"mid_size":1024}},
    {"type":4,"file_item":{"media":{"encrypt_query_param":"F","aes_key":")" +
                         hex_b64 +
                         R"("},"file_name":"report.PDF","len":"12345"}},
    {"type":3,"voice_item":{"media":{"full_url":"http://cdn/v","aes_key":")" +
                         hex_b64 +
                         R"("},"encode_type":6,"text":"hello there"}},
    {"type":5,"video_item":{"media":{"encrypt_query_param":"V","aes_key":")" +
                         hex_b64 +
                         R"("}}},
    {"type":4,"file_item":{"file_name":"gone.txt"}},
    {"type":9,"whatever":{}}
  ]})")
                 .as_object();
  std::string voice_text;
  auto atts = read_attachments(msg, voice_text);
  ASSERT_EQ(atts.size(), 5u);  // the unknown item kind (9) is no attachment
  EXPECT_EQ(voice_text, "hello there");
  EXPECT_EQ(atts[0].kind, "image");
  auto img = decode_media_id(atts[0].id);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->key, key16);
  EXPECT_EQ(img->param, "IMG");
  EXPECT_EQ(atts[1].kind, "file");
  EXPECT_EQ(atts[1].name, "report.PDF");
  EXPECT_EQ(atts[1].mime_type, "application/pdf");
  EXPECT_EQ(atts[1].size, 12345u);
  EXPECT_EQ(decode_media_id(atts[1].id)->key, key16);
  EXPECT_EQ(atts[2].kind, "file");  // voice: a SILK file, not transcoded
  EXPECT_EQ(atts[2].mime_type, "audio/silk");
  EXPECT_EQ(decode_media_id(atts[2].id)->full_url, "http://cdn/v");
  EXPECT_EQ(decode_media_id(atts[2].id)->kind, media_kind::voice);
  EXPECT_EQ(atts[3].kind, "video");
  EXPECT_EQ(atts[3].mime_type, "video/mp4");
  EXPECT_EQ(atts[4].kind, "file");  // no media: reported, nothing to download
  EXPECT_EQ(atts[4].id, "");
}

TEST(IlinkMedia, MimeByNameAndByMagic) {
  EXPECT_EQ(mime_from_name("a.JPG"), "image/jpeg");
  EXPECT_EQ(mime_from_name("noext"), "");
  EXPECT_EQ(mime_from_name("trailing."), "");
  EXPECT_EQ(sniff_image_mime("\x89PNG\r\n\x1A\nrest"), "image/png");
  EXPECT_EQ(sniff_image_mime("\xFF\xD8\xFF\xE0"), "image/jpeg");
  EXPECT_EQ(sniff_image_mime("RIFF1234WEBPVP8 "), "image/webp");
  EXPECT_EQ(sniff_image_mime("hello"), "");
}

TEST(IlinkMedia, UploadKindFollowsTheMimeType) {
  EXPECT_EQ(upload_kind("image", ""), media_kind::image);
  EXPECT_EQ(upload_kind("file", "image/png"), media_kind::image);
  EXPECT_EQ(upload_kind("video", ""), media_kind::video);
  EXPECT_EQ(upload_kind("file", "Video/MP4"), media_kind::video);
  EXPECT_EQ(upload_kind("audio", "audio/silk"), media_kind::voice);
  EXPECT_EQ(upload_kind("audio", "audio/mpeg"), media_kind::file);
  EXPECT_EQ(upload_kind("file", "application/pdf"), media_kind::file);
}

TEST(IlinkMedia, GetUploadUrlBodyCarriesEveryField) {
  client_identity id;
  id.channel_version = "1.0.0";
  upload_request u{"00ff", media_kind::file, "kim@im.wechat", 17, std::string(32, 'a'), hex(key16)};
  auto o = json::parse(getuploadurl_body(id, u)).as_object();
  EXPECT_EQ(o.at("filekey").as_string(), "00ff");
  EXPECT_EQ(o.at("media_type").as_int64(), 3);
  EXPECT_EQ(o.at("to_user_id").as_string(), "kim@im.wechat");
  EXPECT_EQ(o.at("rawsize").to_number<int64_t>(), 17);
  EXPECT_EQ(o.at("filesize").to_number<int64_t>(), 32);
  EXPECT_EQ(o.at("rawfilemd5").as_string(), std::string(32, 'a'));
  EXPECT_EQ(o.at("no_need_thumb").as_bool(), true);
  EXPECT_EQ(o.at("aeskey").as_string(), hex(key16));
  EXPECT_TRUE(o.at("base_info").is_object());
}

TEST(IlinkMedia, UploadUrlPrefersTheFullUrlElseBuildsOne) {
  auto full = parse_upload_url(
      "", 200, R"({"upload_full_url":"http://x/up?a=1","upload_param":"P"})", "http://cdn", "fk");
  EXPECT_EQ(full.url, "http://x/up?a=1");
  auto built = parse_upload_url("", 200, R"({"upload_param":"P/+="})", "http://cdn/c2c/", "fk");
  EXPECT_EQ(built.url, "http://cdn/c2c/upload?encrypted_query_param=P%2F%2B%3D&filekey=fk");
  auto none = parse_upload_url("", 200, R"({"ret":0})", "http://cdn", "fk");
  EXPECT_FALSE(none.url);
  EXPECT_EQ(none.error.code, PB_ERR_RETRYABLE);
  auto refused = parse_upload_url("", 200, R"({"ret":-1})", "http://cdn", "fk");
  EXPECT_FALSE(refused.url);
  EXPECT_EQ(refused.error.code, PB_ERR_REJECTED);
  auto expired = parse_upload_url("", 200, R"({"errcode":-14})", "http://cdn", "fk");
  EXPECT_EQ(expired.error.code, PB_ERR_AUTH);
  EXPECT_EQ(parse_upload_url("connect timeout", 0, "", "http://cdn", "fk").error.code,
            PB_ERR_RETRYABLE);
}

TEST(IlinkMedia, CdnUploadOutcomes) {
  using what = cdn_upload_result::what;
  auto ok = classify_cdn_upload("", 200, "DL", "", "");
  EXPECT_EQ(ok.outcome, what::done);
  EXPECT_EQ(ok.download_param, "DL");
  EXPECT_EQ(classify_cdn_upload("", 200, "", "", "").outcome, what::retry);  // header missing
  EXPECT_EQ(classify_cdn_upload("", 500, "", "busy", "").outcome, what::retry);
  EXPECT_EQ(classify_cdn_upload("idle timeout", 0, "", "", "").outcome, what::retry);
  auto bad = classify_cdn_upload("", 400, "", "size mismatch", "body text");
  EXPECT_EQ(bad.outcome, what::final);
  EXPECT_NE(bad.error.find("size mismatch"), std::string::npos);
  EXPECT_NE(classify_cdn_upload("", 403, "", "", "denied").error.find("denied"), std::string::npos);
}

TEST(IlinkMedia, MediaSendmessageHasOneItemOfTheRightShape) {
  client_identity id;
  uploaded_media m{media_kind::image, "DL", key16, 100, ""};
  auto msg = json::parse(sendmessage_media_body(id, "kim", m, "ctx", "cid")).at("msg").as_object();
  EXPECT_EQ(msg.at("to_user_id").as_string(), "kim");
  EXPECT_EQ(msg.at("context_token").as_string(), "ctx");
  EXPECT_EQ(msg.at("client_id").as_string(), "cid");
  EXPECT_EQ(msg.at("message_type").as_int64(), 2);
  ASSERT_EQ(msg.at("item_list").as_array().size(), 1u);
  auto item = msg.at("item_list").as_array()[0].as_object();
  EXPECT_EQ(item.at("type").as_int64(), 2);
  auto& img = item.at("image_item").as_object();
  EXPECT_EQ(img.at("mid_size").to_number<int64_t>(), 112);
  auto& media = img.at("media").as_object();
  EXPECT_EQ(media.at("encrypt_query_param").as_string(), "DL");
  EXPECT_EQ(media.at("encrypt_type").as_int64(), 1);
  EXPECT_EQ(*base64_decode(std::string(media.at("aes_key").as_string())), hex(key16));

  m.kind = media_kind::file;
  m.file_name = "a.pdf";
  item = json::parse(sendmessage_media_body(id, "kim", m, "", "cid"))
             .at("msg")
             .at("item_list")
             .as_array()[0]
             .as_object();
  EXPECT_EQ(item.at("type").as_int64(), 4);
  EXPECT_EQ(item.at("file_item").at("file_name").as_string(), "a.pdf");
  EXPECT_EQ(item.at("file_item").at("len").as_string(), "100");  // a string, as iLink has it
  m.kind = media_kind::video;
  item = json::parse(sendmessage_media_body(id, "kim", m, "", "cid"))
             .at("msg")
             .at("item_list")
             .as_array()[0]
             .as_object();
  EXPECT_EQ(item.at("type").as_int64(), 5);
  EXPECT_EQ(item.at("video_item").at("video_size").to_number<int64_t>(), 112);
  m.kind = media_kind::voice;
  item = json::parse(sendmessage_media_body(id, "kim", m, "", "cid"))
             .at("msg")
             .at("item_list")
             .as_array()[0]
             .as_object();
  EXPECT_EQ(item.at("type").as_int64(), 3);
}

TEST(IlinkMedia, MediaClientIdIsStablePerOperation) {
  const auto a = make_stable_media_client_id("turn-1", "md5", "a.png");
  EXPECT_EQ(a, make_stable_media_client_id("turn-1", "md5", "a.png"));
  EXPECT_NE(a, make_stable_media_client_id("turn-2", "md5", "a.png"));
  EXPECT_NE(a, make_stable_media_client_id("turn-1", "md6", "a.png"));
  EXPECT_NE(a, make_stable_client_id("turn-1", ""));
}

TEST(IlinkMedia, EncryptFileChecksSizeMd5AndLimit) {
  temp_dir dir;
  const std::string plain = bytes(5000);
  const fs::path p = dir.path / "in.bin";
  std::ofstream(p, std::ios::binary) << plain;
  std::string err;
  auto f =
      encrypt_file(p.string(), key16, plain.size(), patchbay::common::md5_hex(plain), 1 << 20, err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->rawsize, plain.size());
  EXPECT_EQ(f->md5_hex, patchbay::common::md5_hex(plain));
  EXPECT_EQ(aes_ecb_decrypt(f->cipher, key16), plain);
  EXPECT_TRUE(encrypt_file(p.string(), key16, 0, "", 1 << 20, err));  // nothing announced
  EXPECT_FALSE(encrypt_file(p.string(), key16, 4999, "", 1 << 20, err));
  EXPECT_FALSE(encrypt_file(p.string(), key16, 0, std::string(32, '0'), 1 << 20, err));
  EXPECT_NE(err.find("MD5"), std::string::npos);
  EXPECT_FALSE(encrypt_file(p.string(), key16, 0, "", 4999, err));
  EXPECT_NE(err.find("too large"), std::string::npos);
  EXPECT_FALSE(encrypt_file((dir.path / "missing").string(), key16, 0, "", 1 << 20, err));
}

TEST(IlinkMedia, DownloadDecoderDecryptsInPiecesAndCaps) {
  const std::string plain = bytes(3000);
  const std::string cipher = *aes_ecb_encrypt(plain, key16);
  {
    download_decoder s(key16, 3000);
    EXPECT_GE(s.max_cipher_bytes(), cipher.size());
    std::string out;
    for (std::size_t i = 0; i < cipher.size(); i += 100)
      ASSERT_TRUE(s.update(std::string_view(cipher).substr(i, 100), out));
    ASSERT_TRUE(s.finish(out)) << s.failure();
    EXPECT_EQ(s.plain_bytes(), 3000u);
    EXPECT_EQ(out, plain);
    EXPECT_EQ(s.head(), plain.substr(0, 16));
  }
  {
    download_decoder s(key16, 2999);  // one byte short
    EXPECT_LT(s.max_cipher_bytes(), cipher.size() + 16);
  }
  {
    download_decoder s(key16, 2999);
    std::string out;
    bool go = true;
    for (std::size_t i = 0; go && i < cipher.size(); i += 512)
      go = s.update(std::string_view(cipher).substr(i, 512), out);
    if (go) go = s.finish(out);
    EXPECT_FALSE(go);
    EXPECT_TRUE(s.too_large());
  }
  {
    download_decoder s("fedcba9876543210", 10'000);  // wrong key
    std::string out;
    ASSERT_TRUE(s.update(cipher, out));
    EXPECT_FALSE(s.finish(out));
    EXPECT_FALSE(s.failure().empty());
  }
  {
    download_decoder s("", 10'000);  // no key: passed as is
    std::string out;
    ASSERT_TRUE(s.update("plain image", out));
    ASSERT_TRUE(s.finish(out));
    EXPECT_EQ(s.head(), "plain image");
    EXPECT_EQ(out, "plain image");
  }
  {
    download_decoder s("", 10);  // no key: the cap is on the bytes as they come
    std::string out;
    EXPECT_EQ(s.max_cipher_bytes(), 10u);
    EXPECT_FALSE(s.update("eleven byte", out));
    EXPECT_TRUE(s.too_large());
  }
}

}  // namespace
