// TLS set-up shared by the kit's clients and server (private header: kit/src only).
//
// Clients: TLS 1.2 or newer, the peer's certificate verified against the system store or a CA
// file, the host name (or IP literal) checked, SNI sent for names. Server: a certificate chain and
// key from PEM files.
#pragma once

#include "url.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/ssl/verify_mode.hpp>
#include <boost/system/error_code.hpp>

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace patchbay::kit::detail {

// A client context trusting `ca_file` (PEM bundle), or the system store when it is empty: the
// shared one of that trust configuration (tls_contexts.hpp: built once, a ca_file read again only
// when it changed; an SSL_CTX is safe to share once configured). Null (and `error` set) when the
// trust store cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> tls_context(const std::string& ca_file,
                                                       std::string& error);

// A server context from a PEM certificate chain and a PEM private key. Throws std::runtime_error
// naming the file that could not be used.
std::shared_ptr<boost::asio::ssl::context> server_tls_context(const std::string& cert_file,
                                                              const std::string& key_file);

// host_name_verification, plus a precise X509 error on a name mismatch (the stock callback just
// returns false, leaving "certificate verify failed" without the reason).
struct verify_host {
  std::string host;
  bool is_ip = false;
  bool operator()(bool preverified, boost::asio::ssl::verify_context& vctx) const;
};

// Prepares a client TLS stream (asio::ssl::stream or beast::ssl_stream) for `url`: SNI (never for
// an IP literal, RFC 6066 section 3), peer verification with the host name check. Returns "" or
// the error text.
template <class SslStream>
std::string prepare_client_tls(SslStream& stream, const parsed_url& url) {
  if (!url.literal && SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
    return "tls: cannot set SNI";
  }
  stream.set_verify_mode(boost::asio::ssl::verify_peer);
  stream.set_verify_callback(verify_host{url.host, url.literal.has_value()});
  return {};
}

// "tls: ..." for a failed client handshake on `ssl`, with the certificate verification result
// when there is one.
std::string tls_error_text(const boost::system::error_code& ec, SSL* ssl);

}  // namespace patchbay::kit::detail
