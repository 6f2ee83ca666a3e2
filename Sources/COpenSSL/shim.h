#ifndef FLIGHTDECK_COPENSSL_SHIM_H
#define FLIGHTDECK_COPENSSL_SHIM_H

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// Macros and variadics Swift cannot import, as typed inline functions.
static inline long fd_ssl_set_tlsext_host_name(SSL *s, const char *name) { return SSL_set_tlsext_host_name(s, name); }
static inline int fd_ssl_ctx_set_min_proto_version(SSL_CTX *c, int v) { return SSL_CTX_set_min_proto_version(c, v); }
static inline void fd_openssl_free(void *p) { OPENSSL_free(p); }
static inline int fd_sk_x509_num(const STACK_OF(X509) *s) { return sk_X509_num(s); }
static inline X509 *fd_sk_x509_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }

#endif
