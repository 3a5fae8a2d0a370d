/* Internal: the WebFIX dispatcher's shared state, authentication and helpers. */
#ifndef AMI_WEBFIX_INTERNAL_H
#define AMI_WEBFIX_INTERNAL_H
#include <pthread.h>
#include <jansson.h>
#include "ami/webfix.h"

/* The session and nonce tables (auth.c). */
typedef struct ami__auth {
    pthread_mutex_t lock;
    json_t *sessions;        /* sha256(token) hex -> [role, expiresAt] */
    json_t *nonces;          /* publicKey ":" nonce -> forget-after ms */
    char **owners;           /* lowercase hex keys */
    size_t owners_count;
    int allow_viewers;
    int64_t ttl_ms, skew_ms;
    size_t max_sessions;
    unsigned long logins;    /* purge counter */
} ami__auth;

int ami__auth_init(ami__auth *auth, const ami_webfix_options *opts);
void ami__auth_dispose(ami__auth *auth);

/*
 * Verify a connectionNode body (borrowed) at time `now` and open a session.
 * Returns the HTTP status; on 200 *out is {session, expiresAt, role}, else
 * *out is {"error": message}.  Either way *out is the caller's.
 */
int ami__auth_login(json_t **out, ami__auth *auth, const json_t *body, int64_t now);
/* Role of a session token at `now` (NONE when missing/unknown/expired; owner in open mode). */
ami_webfix_role ami__auth_role(ami__auth *auth, const char *token, int64_t now);
/* Role and expiry (ms; 0 in open mode) of a session token at `now`; role NONE when unknown or expired. */
int ami__auth_session(ami__auth *auth, const char *token, int64_t now, ami_webfix_role *role, int64_t *expires_at);
/* End a session (log out): 1 when it existed, 0 when not. */
int ami__auth_logout(ami__auth *auth, const char *token);

/* Hex of 2n digits into n bytes; 0 or -1 when not hex or the wrong length. */
int ami__hex_decode(unsigned char *out, size_t n, const char *hex);
/* Verify a DER ECDSA/SHA-256 signature by a compressed secp256k1 key (bytes). 1 valid, 0 not, <0 bad key. */
int ami__ecdsa_verify(const unsigned char pub[33], const unsigned char *sig, size_t siglen,
                      const void *msg, size_t msglen);

#endif
