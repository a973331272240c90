#include "feishu_family/crypto.hpp"

#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace patchbay::plugins::feishu_family::crypto {
namespace {

struct cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

constexpr size_t block = 16;

// Decodes one base64 character; -1 when outside the alphabet.
int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(md), n);
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// Hand-checked rather than EVP_DecodeBlock: that one accepts surrounding whitespace and reports
// padding as zero bytes, and the exact byte count matters before AES.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const unsigned char c = static_cast<unsigned char>(text[i + k]);
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[k] = b64_value(c);
      if (v[k] < 0) return std::nullopt;
    }
    const uint32_t n =
        (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

bool equal_ct(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string webhook_signature(std::string_view timestamp, std::string_view nonce,
                              std::string_view encrypt_key, std::string_view raw_body) {
  std::string buf;
  buf.reserve(timestamp.size() + nonce.size() + encrypt_key.size() + raw_body.size());
  buf.append(timestamp).append(nonce).append(encrypt_key).append(raw_body);
  std::string sig = sha256_hex(buf);
  OPENSSL_cleanse(buf.data(), buf.size());  // it held the key
  return sig;
}

std::optional<std::string> decrypt_event(std::string_view encrypt_key, std::string_view b64) {
  const auto raw = base64_decode(b64);
  if (!raw || raw->size() < 2 * block || raw->size() % block != 0) return std::nullopt;
  std::string key = sha256(encrypt_key);
  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  std::string out(raw->size(), '\0');  // ciphertext + one block, as EVP allows
  int n1 = 0;
  int n2 = 0;
  const auto* iv = reinterpret_cast<const unsigned char*>(raw->data());
  const auto* ct = iv + block;
  const int ct_len = static_cast<int>(raw->size() - block);
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  const bool ok = ctx &&
                  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr,
                                     reinterpret_cast<const unsigned char*>(key.data()), iv) == 1 &&
                  EVP_DecryptUpdate(ctx.get(), dst, &n1, ct, ct_len) == 1 &&
                  EVP_DecryptFinal_ex(ctx.get(), dst + n1, &n2) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) return std::nullopt;
  out.resize(static_cast<size_t>(n1 + n2));
  return out;
}

std::string encrypt_event(std::string_view encrypt_key, std::string_view plaintext,
                          std::string_view iv16) {
  if (iv16.size() != block) return {};
  std::string key = sha256(encrypt_key);
  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  std::string out(block + plaintext.size() + block, '\0');
  out.replace(0, block, iv16);
  int n1 = 0;
  int n2 = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data()) + block;
  const bool ok = ctx &&
                  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr,
                                     reinterpret_cast<const unsigned char*>(key.data()),
                                     reinterpret_cast<const unsigned char*>(iv16.data())) == 1 &&
                  EVP_EncryptUpdate(ctx.get(), dst, &n1,
                                    reinterpret_cast<const unsigned char*>(plaintext.data()),
                                    static_cast<int>(plaintext.size())) == 1 &&
                  EVP_EncryptFinal_ex(ctx.get(), dst + n1, &n2) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) return {};
  out.resize(block + static_cast<size_t>(n1 + n2));
  return base64_encode(out);
}

}  // namespace patchbay::plugins::feishu_family::crypto
