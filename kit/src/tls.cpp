// TLS set-up shared by the kit's clients and server; see tls.hpp.
#include "tls.hpp"

#include "tls_contexts.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include <openssl/x509_vfy.h>

#include <stdexcept>

namespace patchbay::kit::detail {

namespace net = boost::asio;
namespace ssl = net::ssl;
using error_code = boost::system::error_code;

std::shared_ptr<ssl::context> tls_context(const std::string& ca_file, std::string& error) {
  auto tls = client_tls_for(ca_file, error);
  return tls ? tls->shared_context() : nullptr;
}

std::shared_ptr<ssl::context> server_tls_context(const std::string& cert_file,
                                                 const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec)
    throw std::runtime_error("cannot load TLS certificate '" + cert_file + "': " + ec.message());
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load TLS key '" + key_file + "': " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    throw std::runtime_error("TLS key '" + key_file + "' does not match certificate '" + cert_file +
                             "'");
  }
  return ctx;
}

bool verify_host::operator()(bool preverified, ssl::verify_context& vctx) const {
  const bool ok = ssl::host_name_verification(host)(preverified, vctx);
  if (!ok && preverified) {
    X509_STORE_CTX_set_error(vctx.native_handle(),
                             is_ip ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH);
  }
  return ok;
}

std::string tls_error_text(const error_code& ec, SSL* ssl) {
  std::string out = "tls: ";
  if (ec == net::error::eof || ec == ssl::error::stream_truncated) {
    out += "handshake failed: connection closed by peer";
  } else {
    out += ec.message();
  }
  const long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (verify != X509_V_OK) {
    out += " (";
    out += X509_verify_cert_error_string(verify);
    out += ")";
  }
  return out;
}

}  // namespace patchbay::kit::detail
