// Throw-away TLS certificates for tests and fakes; see test_cert.hpp. Plain OpenSSL, no Asio.
#include "patchbay/kit/test_cert.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace patchbay::kit {

namespace {

struct openssl_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, openssl_free>;
using cert_ptr = std::unique_ptr<X509, openssl_free>;
using bio_ptr = std::unique_ptr<BIO, openssl_free>;

[[noreturn]] void fail(const std::string& step) {
  std::string what = "make_test_certs: " + step;
  if (const unsigned long e = ERR_get_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    what += ": ";
    what += buf;
  }
  ERR_clear_error();
  throw std::runtime_error(what);
}

key_ptr new_key() {
  key_ptr key(EVP_EC_gen("P-256"));
  if (!key) fail("key generation");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) fail("extension " + value);
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) fail("extension " + value);
}

// A certificate for `key` named `cn`, issued by `issuer` (itself when null); not signed yet.
cert_ptr new_cert(EVP_PKEY* key, const char* cn, X509* issuer) {
  cert_ptr cert(X509_new());
  if (!cert) fail("X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("serial number");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()))) {
    BN_free(bn);
    fail("serial number");
  }
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  if (X509_set_pubkey(cert.get(), key) != 1) fail("set public key");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("patchbay test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) fail("signing");
}

bio_ptr open_file(const std::string& path) {
  bio_ptr bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) fail("cannot write " + path);
  return bio;
}

void write_certs(const std::string& path, std::initializer_list<X509*> certs) {
  auto bio = open_file(path);
  for (X509* c : certs) {
    if (PEM_write_bio_X509(bio.get(), c) != 1) fail("cannot write " + path);
  }
}

}  // namespace

test_cert_files make_test_certs(const std::string& dir,
                                const std::vector<std::string>& extra_dns_names) {
  std::error_code fs_ec;
  std::filesystem::create_directories(dir, fs_ec);
  if (fs_ec)
    throw std::runtime_error("make_test_certs: cannot create '" + dir + "': " + fs_ec.message());

  auto ca_key = new_key();
  auto ca = new_cert(ca_key.get(), "patchbay test CA", nullptr);
  add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  sign(ca.get(), ca_key.get());

  auto key = new_key();
  auto cert = new_cert(key.get(), "localhost", ca.get());
  std::string san = "IP:127.0.0.1,IP:::1,DNS:localhost";
  for (const auto& name : extra_dns_names) {
    if (name.empty() || name.find_first_of(", \t\r\n") != std::string::npos) {
      throw std::runtime_error("make_test_certs: bad DNS name '" + name + "'");
    }
    san += ",DNS:" + name;
  }
  add_ext(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), ca.get(), NID_subject_alt_name, san);
  add_ext(cert.get(), ca.get(), NID_authority_key_identifier, "keyid");
  sign(cert.get(), ca_key.get());

  const std::filesystem::path base(dir);
  test_cert_files files;
  files.ca_file = (base / "ca.pem").string();
  files.cert_file = (base / "server.pem").string();
  files.key_file = (base / "server-key.pem").string();

  write_certs(files.ca_file, {ca.get()});
  write_certs(files.cert_file, {cert.get(), ca.get()});
  {
    // Created 0600 before the key is written into it.
    std::filesystem::remove(files.key_file, fs_ec);
    auto bio = open_file(files.key_file);
    if (::chmod(files.key_file.c_str(), 0600) != 0) {
      const std::error_code why(errno, std::generic_category());
      throw std::runtime_error("make_test_certs: chmod " + files.key_file + ": " + why.message());
    }
    if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
        1) {
      fail("cannot write " + files.key_file);
    }
  }
  return files;
}

}  // namespace patchbay::kit
