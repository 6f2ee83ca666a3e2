#ifndef FLIGHTDECK_COPENSSL_SHIM_H
#define FLIGHTDECK_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/ct.h>
#include <openssl/ec.h>
#include <openssl/ocsp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

// Macros and variadics Swift cannot import, as typed inline functions.
static inline long fd_ssl_set_tlsext_host_name(SSL *s, const char *name) { return SSL_set_tlsext_host_name(s, name); }
static inline int fd_ssl_ctx_set_min_proto_version(SSL_CTX *c, int v) { return SSL_CTX_set_min_proto_version(c, v); }
static inline int fd_ssl_ctx_set_max_proto_version(SSL_CTX *c, int v) { return SSL_CTX_set_max_proto_version(c, v); }
static inline void fd_openssl_free(void *p) { OPENSSL_free(p); }
static inline int fd_sk_x509_num(const STACK_OF(X509) *s) { return sk_X509_num(s); }
static inline X509 *fd_sk_x509_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }

static inline long fd_ssl_request_ocsp(SSL *s) { return SSL_set_tlsext_status_type(s, TLSEXT_STATUSTYPE_ocsp); }
static inline long fd_ssl_get_ocsp_response(SSL *s, const unsigned char **response) {
    unsigned char *data = NULL;
    long length = SSL_get_tlsext_status_ocsp_resp(s, &data);
    *response = data;
    return length;
}
// EVP_PKEY_PUBLIC_KEY is a macro of macros.
static const int fd_evp_pkey_public_key = EVP_PKEY_PUBLIC_KEY;
static inline int fd_sk_general_name_num(const GENERAL_NAMES *s) { return sk_GENERAL_NAME_num(s); }
static inline GENERAL_NAME *fd_sk_general_name_value(const GENERAL_NAMES *s, int i) { return sk_GENERAL_NAME_value(s, i); }
static inline int fd_sk_sct_num(const STACK_OF(SCT) *s) { return sk_SCT_num(s); }
static inline void fd_sct_list_free(STACK_OF(SCT) *s) { SCT_LIST_free(s); }
static inline long fd_bio_mem_data(BIO *b, char **data) { return BIO_get_mem_data(b, data); }
static inline int fd_x509_name_print_rfc2253(BIO *b, const X509_NAME *name) { return X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253); }

// Where a certificate says its revocation status is published: the URIs of its CRL
// distribution points (full names only) and of its OCSP responders (AIA), each line ended by
// a newline, into `buffer`; returns the bytes written (what did not fit is left out whole).
static inline int fd_append_uri(char *buffer, int size, int used, const char *uri, int length) {
    if (length <= 0 || used + length + 1 > size) return used;
    memcpy(buffer + used, uri, (size_t)length);
    buffer[used + length] = '\n';
    return used + length + 1;
}
static inline int fd_x509_crl_uris(X509 *certificate, char *buffer, int size) {
    STACK_OF(DIST_POINT) *points = X509_get_ext_d2i(certificate, NID_crl_distribution_points, NULL, NULL);
    int used = 0;
    if (points == NULL) return 0;
    for (int i = 0; i < sk_DIST_POINT_num(points); i++) {
        DIST_POINT *point = sk_DIST_POINT_value(points, i);
        if (point->distpoint == NULL || point->distpoint->type != 0) continue;
        GENERAL_NAMES *names = point->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
            GENERAL_NAME *name = sk_GENERAL_NAME_value(names, j);
            if (name->type != GEN_URI) continue;
            used = fd_append_uri(buffer, size, used, (const char *)ASN1_STRING_get0_data(name->d.uniformResourceIdentifier),
                                 ASN1_STRING_length(name->d.uniformResourceIdentifier));
        }
    }
    CRL_DIST_POINTS_free(points);
    return used;
}
static inline int fd_x509_ocsp_uris(X509 *certificate, char *buffer, int size) {
    STACK_OF(OPENSSL_STRING) *uris = X509_get1_ocsp(certificate);
    int used = 0;
    if (uris == NULL) return 0;
    for (int i = 0; i < sk_OPENSSL_STRING_num(uris); i++) {
        const char *uri = sk_OPENSSL_STRING_value(uris, i);
        used = fd_append_uri(buffer, size, used, uri, (int)strlen(uri));
    }
    X509_email_free(uris);
    return used;
}
static inline STACK_OF(X509) *fd_sk_x509_new_with(X509 *certificate) {
    STACK_OF(X509) *stack = sk_X509_new_null();
    if (stack != NULL && !sk_X509_push(stack, certificate)) { sk_X509_free(stack); return NULL; }
    return stack;
}
static inline void fd_sk_x509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }

// For servers (the demo's HTTPS endpoints): a certificate chosen by the name the client
// asks for (SNI), and the intermediate sent after the leaf.
static inline void fd_ssl_ctx_set_servername_callback(SSL_CTX *c, int (*callback)(SSL *, int *, void *), void *argument) {
    SSL_CTX_set_tlsext_servername_callback(c, callback);
    SSL_CTX_set_tlsext_servername_arg(c, argument);
}
static inline long fd_ssl_ctx_add1_chain_cert(SSL_CTX *c, X509 *certificate) { return SSL_CTX_add1_chain_cert(c, certificate); }

#endif
