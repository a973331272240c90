// patchbay-fake-ilink: the media CDN (protocol note §4.3). getuploadurl registers an expected
// upload; the client POSTs the AES-128-ECB/PKCS7 ciphertext to /c2c/upload, which is checked
// (size = filesize, decrypts with the announced key, plaintext size and MD5 as announced) and
// stored under a fresh download param; /c2c/download returns the stored ciphertext.
//
// Bounded: at most 256 pending uploads and 64 MiB of stored files (oldest evicted first).
// Not thread-safe (owned by fake_ilink).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace patchbay::fakes::ilink {

struct expected_upload {
  std::string filekey;
  std::string aeskey_hex;  // 32 hex chars
  std::string rawfilemd5;  // 32 hex chars
  std::int64_t rawsize = 0;
  std::int64_t filesize = 0;
};

struct upload_result {
  unsigned status = 200;
  std::string error;           // for x-error-message when status != 200
  std::string download_param;  // for x-encrypted-param when status == 200
};

class cdn_store {
 public:
  void expect(std::string upload_param, expected_upload u);
  upload_result upload(std::string_view upload_param, std::string_view filekey,
                       std::string_view body, std::string download_param);
  // Stores ciphertext under `download_param` directly (control API: staged inbound media).
  void put(std::string download_param, std::string ciphertext);
  const std::string* download(std::string_view download_param) const;
  void clear();

 private:
  std::unordered_map<std::string, expected_upload> pending_;
  std::deque<std::string> pending_order_;
  std::unordered_map<std::string, std::string> files_;
  std::deque<std::string> file_order_;
  std::size_t bytes_ = 0;
};

// AES-128-ECB with PKCS7 padding (the CDN's cipher). The key is 16 raw bytes.
std::string aes128_ecb_encrypt(std::string_view plain, std::string_view key);
std::optional<std::string> aes128_ecb_decrypt(std::string_view cipher, std::string_view key);
// "00ff.." -> bytes; nullopt unless an even number of hex digits.

}  // namespace patchbay::fakes::ilink
