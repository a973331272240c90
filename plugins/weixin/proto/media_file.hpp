// The local side of iLink media (docs/protocols/weixin-ilink.md §4.3), without Asio: an
// outbound file read and encrypted for the CDN, and an inbound download decrypted piece by piece
// with a size cap. Plain file I/O (std::ifstream).
//
// Thread safety: encrypt_file is reentrant; a download_decoder belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "media_crypto.hpp"

namespace patchbay::weixin {

// `n` bytes from OpenSSL's CSPRNG (keys, file keys); empty if it failed.
std::string random_bytes(std::size_t n);

struct encrypted_file {
  std::string cipher;   // AES-128-ECB/PKCS7 of the file, cipher_size(rawsize) bytes
  std::string md5_hex;  // of the plaintext, lower case
  std::uint64_t rawsize = 0;
};

// Reads `path` in pieces and encrypts it with `key` (16 bytes). Fails (nullopt, `error` set) when
// the file cannot be read, holds more than `max_bytes`, differs from `expected_size` (0 = not
// checked) or from `expected_md5_hex` ("" = not checked; computed either way).
std::optional<encrypted_file> encrypt_file(const std::string& path, std::string_view key,
                                           std::uint64_t expected_size,
                                           std::string_view expected_md5_hex,
                                           std::uint64_t max_bytes, std::string& error);

// Decrypts a download as the ciphertext arrives; the caller writes the plaintext into the host's
// file (the channel: the kit's body_file with this as its filter). `key` empty: the bytes pass as
// they come (an image sent without a key). update() and finish() append the plaintext to `plain`
// and return false once the download must stop: more than `max_bytes` of plaintext (too_large())
// or bad ciphertext (failure()).
class download_decoder {
 public:
  download_decoder(std::string_view key, std::uint64_t max_bytes);
  // The most ciphertext a download of at most `max_bytes` of plaintext can take (a larger
  // Content-Length cannot fit).
  std::uint64_t max_cipher_bytes() const;
  bool update(std::string_view cipher_piece, std::string& plain);
  // After the last piece: checks the padding. False → failure() or too_large() says why.
  bool finish(std::string& plain);

  bool too_large() const { return too_large_; }
  const std::string& failure() const { return failure_; }
  std::uint64_t plain_bytes() const { return plain_bytes_; }
  // The first plaintext bytes (up to 16), for sniffing a MIME type.
  const std::string& head() const { return head_; }

 private:
  bool took(std::string_view plain);
  std::optional<aes_ecb_stream> cipher_;
  std::uint64_t max_bytes_;
  std::uint64_t plain_bytes_ = 0;
  std::string head_;
  bool too_large_ = false;
  std::string failure_;
};

}  // namespace patchbay::weixin
