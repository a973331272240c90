#include "feishu_lark/proto/crypto.hpp"

#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

namespace patchbay::plugins::feishu_family::crypto {
using common::base64_decode;
using common::base64_encode;
using common::sha256;
using common::sha256_hex;

namespace {

struct cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

constexpr size_t block = 16;

}  // namespace

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
  out.resize(static_cast<size_t>(n1) + static_cast<size_t>(n2));
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
