#include "media_file.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <memory>

#include "patchbay/common/ascii.hpp"
#include "patchbay/common/digest.hpp"

namespace patchbay::weixin {
namespace {

constexpr std::size_t piece = std::size_t{64} * 1024;
constexpr std::size_t head_bytes = 16;

struct md_free {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

}  // namespace

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) return {};
  return out;
}

std::optional<encrypted_file> encrypt_file(const std::string& path, std::string_view key,
                                           std::uint64_t expected_size,
                                           std::string_view expected_md5_hex,
                                           std::uint64_t max_bytes, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read the attachment's file";
    return std::nullopt;
  }
  if (expected_size > max_bytes) {
    error = "the file is too large (" + std::to_string(expected_size) + " bytes; limit " +
            std::to_string(max_bytes) + ")";
    return std::nullopt;
  }
  std::unique_ptr<EVP_MD_CTX, md_free> md(EVP_MD_CTX_new());
  aes_ecb_stream enc(aes_ecb_stream::mode::encrypt, key);
  if (!md || EVP_DigestInit_ex(md.get(), EVP_md5(), nullptr) != 1 || !enc.ok()) {
    error = "cipher setup failed";
    return std::nullopt;
  }
  encrypted_file f;
  if (expected_size > 0) f.cipher.reserve(cipher_size(expected_size));
  std::array<char, piece> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    f.rawsize += got;
    if (f.rawsize > max_bytes) {
      error = "the file is too large (limit " + std::to_string(max_bytes) + " bytes)";
      return std::nullopt;
    }
    const std::string_view data(buf.data(), got);
    if (EVP_DigestUpdate(md.get(), data.data(), data.size()) != 1 || !enc.update(data, f.cipher)) {
      error = "encryption failed";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    error = "reading the attachment's file failed";
    return std::nullopt;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (!enc.finish(f.cipher) || EVP_DigestFinal_ex(md.get(), digest.data(), &len) != 1) {
    error = "encryption failed";
    return std::nullopt;
  }
  f.md5_hex = common::hex(std::string_view(reinterpret_cast<const char*>(digest.data()), len));
  if (expected_size != 0 && f.rawsize != expected_size) {
    error = "the file has " + std::to_string(f.rawsize) + " bytes, not the " +
            std::to_string(expected_size) + " announced";
    return std::nullopt;
  }
  if (!expected_md5_hex.empty() && !common::iequals_ascii(expected_md5_hex, f.md5_hex)) {
    error = "the file's MD5 differs from the one announced";
    return std::nullopt;
  }
  return f;
}

download_decoder::download_decoder(std::string_view key, std::uint64_t max_bytes)
    : max_bytes_(max_bytes) {
  if (!key.empty()) {
    cipher_.emplace(aes_ecb_stream::mode::decrypt, key);
    if (!cipher_->ok()) failure_ = "bad media key";
  }
}

std::uint64_t download_decoder::max_cipher_bytes() const {
  return cipher_ ? cipher_size(max_bytes_) : max_bytes_;
}

bool download_decoder::took(std::string_view plain) {
  plain_bytes_ += plain.size();
  if (plain_bytes_ > max_bytes_) {
    too_large_ = true;
    return false;
  }
  if (head_.size() < head_bytes) head_.append(plain.substr(0, head_bytes - head_.size()));
  return true;
}

bool download_decoder::update(std::string_view cipher_piece, std::string& plain) {
  if (!failure_.empty() || too_large_) return false;
  const std::size_t from = plain.size();
  if (!cipher_) {
    plain.append(cipher_piece);
  } else if (!cipher_->update(cipher_piece, plain)) {
    failure_ = "the download does not decrypt";
    return false;
  }
  return took(std::string_view(plain).substr(from));
}

bool download_decoder::finish(std::string& plain) {
  if (!failure_.empty() || too_large_) return false;
  const std::size_t from = plain.size();
  if (cipher_ && !cipher_->finish(plain)) {
    failure_ = "the download does not decrypt with its key (bad padding or size)";
    return false;
  }
  return took(std::string_view(plain).substr(from));
}

}  // namespace patchbay::weixin
