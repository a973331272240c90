// patchbay kit: throw-away TLS certificates for tests and fake servers (OpenSSL at run time; no
// Asio). A fresh CA and a server certificate it signed, for 127.0.0.1, ::1 and localhost, written
// as PEM files: the server loads cert_file + key_file (http_server_options::tls_cert_file/
// tls_key_file), clients trust ca_file (http_client_request::ca_file, ws_client_options::ca_file).
//
// Thread safety: make_test_certs may be called from any thread; each call makes new keys.
#pragma once

#include <string>
#include <vector>

namespace patchbay::kit {

struct test_cert_files {
  std::string ca_file;    // the CA certificate: what clients trust
  std::string cert_file;  // the server certificate followed by the CA certificate (a chain)
  std::string key_file;   // the server's private key, unencrypted, mode 0600
};

// Writes ca.pem, server.pem and server-key.pem into `dir` (created if missing; existing files are
// replaced). The server certificate names IP 127.0.0.1, IP ::1, DNS localhost and each of
// `extra_dns_names`; it is valid from an hour ago for 30 days. Keys are ECDSA P-256. Throws
// std::runtime_error naming the step that failed.
test_cert_files make_test_certs(const std::string& dir,
                                const std::vector<std::string>& extra_dns_names = {});

}  // namespace patchbay::kit
