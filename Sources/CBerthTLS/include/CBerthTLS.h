#ifndef CBERTHTLS_H
#define CBERTHTLS_H

#include <stddef.h>
#include <sys/types.h>

/// Results of the non-blocking TLS calls.
enum {
    BERTH_TLS_OK = 0,
    BERTH_TLS_WANT_READ = 1,
    BERTH_TLS_WANT_WRITE = 2,
    BERTH_TLS_CLOSED = 3,
    BERTH_TLS_ERROR = 4,
};

typedef struct berth_tls_ctx berth_tls_ctx;
typedef struct berth_tls berth_tls;

/// A server context: TLS 1.2 and 1.3 only, ALPN http/1.1. With `ca_path`, clients must present
/// a certificate signed by that CA. On failure returns NULL and writes a message into `err`.
/// `failed_step` says what failed: 1 the CA, 2 the certificate or key pair.
berth_tls_ctx *berth_tls_ctx_new(const char *cert_path, const char *key_path, const char *ca_path,
                                 char *err, size_t err_len, int *failed_step);
void berth_tls_ctx_free(berth_tls_ctx *ctx);

/// A server session on a connected, non-blocking socket.
berth_tls *berth_tls_new(berth_tls_ctx *ctx, int fd);
void berth_tls_free(berth_tls *tls);

int berth_tls_handshake(berth_tls *tls);
/// Reads up to `len` bytes; `*done` gets the count when BERTH_TLS_OK.
int berth_tls_read(berth_tls *tls, void *buf, size_t len, size_t *done);
/// Writes up to `len` bytes; `*done` gets the count when BERTH_TLS_OK.
int berth_tls_write(berth_tls *tls, const void *buf, size_t len, size_t *done);
/// Sends close_notify (best effort, non-blocking).
void berth_tls_shutdown(berth_tls *tls);
/// The negotiated protocol ("TLSv1.3") and ALPN protocol ("http/1.1" or "").
const char *berth_tls_version(berth_tls *tls);
void berth_tls_alpn(berth_tls *tls, char *out, size_t out_len);
/// The last OpenSSL error of this thread as text (empties the queue).
void berth_tls_last_error(char *out, size_t out_len);

#endif
