/*
 * amid's web console (docs/design.md §14): static files under one directory, plus the
 * Debian CodeMirror package under /vendor/codemirror/, answered with strict
 * security headers.  Paths are checked segment by segment (letters, digits,
 * '.', '-', '_'; no segment starting with '.'), so nothing outside the two
 * roots can be named.
 */
#ifndef AMID_CONSOLE_H
#define AMID_CONSOLE_H
#include <stddef.h>
#include <microhttpd.h>

/* Where Debian's libjs-codemirror installs its files. */
#define AMID_CODEMIRROR_DIR "/usr/share/javascript/codemirror"

/*
 * Find the console next to the running binary: <bindir>/../console (the build
 * tree: build/amid), <bindir>/../../console (build/asan/amid), then
 * <bindir>/../share/ami/console (installed).  Writes the directory into out and
 * returns 0, or -1 when none holds an index.html.
 */
int amid_console_find(char *out, size_t cap);

/*
 * The response for GET `url` (already percent-decoded by libmicrohttpd) from
 * the console root `dir` or the CodeMirror root `cm_dir` (may be NULL):
 * 200 with the file, or 404.  *status gets the status.  NULL only when out of
 * memory.  Every response carries the console's security headers.
 */
struct MHD_Response *amid_console_response(unsigned int *status, const char *dir, const char *cm_dir, const char *url);

/* Add the console's security headers (CSP, nosniff, no referrer, no framing) to r. */
void amid_console_headers(struct MHD_Response *r);
#endif
