#include "exchange/net/tls.hpp"

#include <memory>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace trader::net {
namespace ssl = boost::asio::ssl;

Result<ssl::context> client_context(const std::string& ca_file) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (ca_file.empty()) ctx.set_default_verify_paths(ec);
  else ctx.load_verify_file(ca_file, ec);
  if (ec) return fail(fmt::format("TLS: cannot load {}: {}", ca_file.empty() ? "the system CA store" : ca_file, ec.message()));
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

Result<SelfSigned> make_self_signed(int days) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return fail("TLS: cannot create a key or certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("trader exchange-sim"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                                   std::pair{NID_key_usage, "critical,digitalSignature,keyCertSign"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (ext == nullptr) return fail("TLS: cannot add a certificate extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return fail("TLS: cannot sign the certificate");
  auto pem = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    write(bio.get());
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  };
  SelfSigned out;
  out.cert_pem = pem([&](BIO* b) { PEM_write_bio_X509(b, cert.get()); });
  out.key_pem = pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  return out;
}

Result<ssl::context> server_context(const SelfSigned& cert) {
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx.use_certificate_chain(boost::asio::buffer(cert.cert_pem), ec);
  if (!ec) ctx.use_private_key(boost::asio::buffer(cert.key_pem), ssl::context::pem, ec);
  if (ec) return fail(fmt::format("TLS: cannot use the certificate: {}", ec.message()));
  return ctx;
}

}  // namespace trader::net
