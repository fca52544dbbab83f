#include "CBerthTLS.h"
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

struct berth_tls_ctx { SSL_CTX *ctx; };
struct berth_tls { SSL *ssl; };

static void copy_error(char *out, size_t out_len, const char *prefix) {
    unsigned long code = ERR_get_error();
    char reason[256] = "unknown error";
    if (code) ERR_error_string_n(code, reason, sizeof reason);
    snprintf(out, out_len, "%s%s", prefix, reason);
    ERR_clear_error();
}

/* ALPN: the server speaks http/1.1 only, and picks it whenever the client offers it. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    unsigned int i = 0;
    while (i < inlen) {
        unsigned int n = in[i];
        if (i + 1 + n > inlen) break;
        if (n == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)n;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + n;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

berth_tls_ctx *berth_tls_ctx_new(const char *cert_path, const char *key_path, const char *ca_path,
                                 char *err, size_t err_len, int *failed_step) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) { copy_error(err, err_len, ""); *failed_step = 2; return NULL; }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    if (ca_path) {
        if (SSL_CTX_load_verify_locations(ctx, ca_path, NULL) != 1) {
            copy_error(err, err_len, "");
            *failed_step = 1;
            SSL_CTX_free(ctx);
            return NULL;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_path);
        if (names) SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        copy_error(err, err_len, "");
        *failed_step = 2;
        SSL_CTX_free(ctx);
        return NULL;
    }
    berth_tls_ctx *result = malloc(sizeof *result);
    result->ctx = ctx;
    return result;
}

void berth_tls_ctx_free(berth_tls_ctx *ctx) {
    if (!ctx) return;
    SSL_CTX_free(ctx->ctx);
    free(ctx);
}

berth_tls *berth_tls_new(berth_tls_ctx *ctx, int fd) {
    SSL *ssl = SSL_new(ctx->ctx);
    if (!ssl) return NULL;
    if (SSL_set_fd(ssl, fd) != 1) { SSL_free(ssl); return NULL; }
    SSL_set_accept_state(ssl);
    berth_tls *tls = malloc(sizeof *tls);
    tls->ssl = ssl;
    return tls;
}

void berth_tls_free(berth_tls *tls) {
    if (!tls) return;
    SSL_free(tls->ssl);
    free(tls);
}

static int status_of(SSL *ssl, int rc) {
    switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ: return BERTH_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return BERTH_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return BERTH_TLS_CLOSED;
    case SSL_ERROR_SYSCALL:
        /* EOF without close_notify: the peer went away. */
        if (ERR_peek_error() == 0) return BERTH_TLS_CLOSED;
        return BERTH_TLS_ERROR;
    default: return BERTH_TLS_ERROR;
    }
}

int berth_tls_handshake(berth_tls *tls) {
    ERR_clear_error();
    int rc = SSL_do_handshake(tls->ssl);
    return rc == 1 ? BERTH_TLS_OK : status_of(tls->ssl, rc);
}

int berth_tls_read(berth_tls *tls, void *buf, size_t len, size_t *done) {
    ERR_clear_error();
    int rc = SSL_read_ex(tls->ssl, buf, len, done);
    return rc == 1 ? BERTH_TLS_OK : status_of(tls->ssl, rc);
}

int berth_tls_write(berth_tls *tls, const void *buf, size_t len, size_t *done) {
    ERR_clear_error();
    int rc = SSL_write_ex(tls->ssl, buf, len, done);
    return rc == 1 ? BERTH_TLS_OK : status_of(tls->ssl, rc);
}

void berth_tls_shutdown(berth_tls *tls) {
    ERR_clear_error();
    (void)SSL_shutdown(tls->ssl);
    ERR_clear_error();
}

const char *berth_tls_version(berth_tls *tls) { return SSL_get_version(tls->ssl); }

void berth_tls_alpn(berth_tls *tls, char *out, size_t out_len) {
    const unsigned char *data = NULL;
    unsigned int len = 0;
    SSL_get0_alpn_selected(tls->ssl, &data, &len);
    if (len >= out_len) len = (unsigned int)out_len - 1;
    if (data) memcpy(out, data, len);
    out[len] = 0;
}

void berth_tls_last_error(char *out, size_t out_len) { copy_error(out, out_len, ""); }
