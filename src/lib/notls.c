// SPDX-License-Identifier: GPL-2.0
/*
 * Debian's libmicrohttpd.a is built with HTTPS support, so its objects refer
 * to GnuTLS, and a static GnuTLS needs libp11-kit and libunistring, which
 * Debian ships only as shared libraries. klptop serves /metrics over plain
 * HTTP (loopback by default; put a TLS proxy in front for more) and never
 * passes MHD_USE_TLS, so libmicrohttpd reaches only gnutls_global_init() and
 * gnutls_global_deinit() (its constructor and destructor). These definitions
 * satisfy the static link without GnuTLS; every other entry point aborts
 * with a message, since reaching one would be a bug in klptop. The list is
 * that of `nm -u libmicrohttpd.a` for 0.9.75 (Debian 12): a newer
 * libmicrohttpd that needs more fails to link, loudly, and its new names go
 * here.
 */
#include <stdio.h>
#include <stdlib.h>

int gnutls_global_init(void);
void gnutls_global_deinit(void);

/* gnutls_malloc is a variable (a function pointer) in GnuTLS. */
void *(*gnutls_malloc)(size_t) = malloc;

int gnutls_global_init(void)
{
	return 0;
}

void gnutls_global_deinit(void)
{
}

static void __attribute__((noreturn)) notls(const char *fn)
{
	fprintf(stderr, "klptop: %s called: this klptop has no TLS support\n", fn);
	abort();
}

#define NOTLS(fn) \
	void fn(void); \
	void fn(void) { notls(#fn); }

NOTLS(gnutls_alpn_set_protocols)
NOTLS(gnutls_bye)
NOTLS(gnutls_certificate_allocate_credentials)
NOTLS(gnutls_certificate_free_credentials)
NOTLS(gnutls_certificate_server_set_request)
NOTLS(gnutls_certificate_set_dh_params)
NOTLS(gnutls_certificate_set_retrieve_function2)
NOTLS(gnutls_certificate_set_retrieve_function3)
NOTLS(gnutls_certificate_set_x509_key_mem)
NOTLS(gnutls_certificate_set_x509_key_mem2)
NOTLS(gnutls_certificate_set_x509_trust_mem)
NOTLS(gnutls_cipher_get)
NOTLS(gnutls_credentials_set)
NOTLS(gnutls_deinit)
NOTLS(gnutls_dh_params_deinit)
NOTLS(gnutls_dh_params_import_pkcs3)
NOTLS(gnutls_dh_params_init)
NOTLS(gnutls_handshake)
NOTLS(gnutls_init)
NOTLS(gnutls_priority_deinit)
NOTLS(gnutls_priority_init)
NOTLS(gnutls_priority_set)
NOTLS(gnutls_protocol_get_version)
NOTLS(gnutls_psk_allocate_server_credentials)
NOTLS(gnutls_psk_free_server_credentials)
NOTLS(gnutls_psk_set_server_credentials_function)
NOTLS(gnutls_record_check_pending)
NOTLS(gnutls_record_get_direction)
NOTLS(gnutls_record_recv)
NOTLS(gnutls_record_send)
NOTLS(gnutls_session_get_ptr)
NOTLS(gnutls_session_set_ptr)
NOTLS(gnutls_strerror)
NOTLS(gnutls_transport_set_int2)
