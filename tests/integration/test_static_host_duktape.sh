#!/usr/bin/env bash
# Claim: a host that links its own stock Duktape before libami.a keeps two separate
# Duktapes: its own works, and libami's still stops `for(;;){}` with SliceLimitExceeded
# after slice_ms=300 (libami.a hides duk_*, so the host's copy cannot replace the one
# with libami's exec-timeout hook).
set -u
B=${AMI_BUILD:-build}
[ -f "$B/libami.a" ] || { echo "missing $B/libami.a"; exit 1; }
[ -f /usr/share/duktape/duktape.c ] || { echo "missing /usr/share/duktape/duktape.c (duktape-dev)"; exit 1; }
dir=$(mktemp -d /tmp/ami-hostduk-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/host.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "duktape.h"   /* the host's own, stock Duktape */
#include <ami.h>
int main(void) {
    duk_context *ctx = duk_create_heap_default();
    duk_eval_string(ctx, "6 * 7");
    int v = duk_get_int(ctx, -1);
    duk_destroy_heap(ctx);
    printf("host duktape: 6 * 7 = %d\n", v);
    if (v != 42) return 1;
    json_t *w = json_pack("{s:s, s:s}", "sid", "host-test", "script", "for(;;){}");
    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    o.worker = w;
    o.slice_ms = 300;
    ami_runtime *inst = NULL;
    if (ami_runtime_new(&inst, &o)) { fprintf(stderr, "new: %s\n", ami_error_last()); return 1; }
    ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
    int64_t t0 = ami_time_mono_ms();
    int rc = ami_runtime_run(inst, &res);
    printf("libami run: rc %d, name %s, after %lld ms\n", rc, res.name ? res.name : "(none)",
           (long long)(ami_time_mono_ms() - t0));
    int ok = rc == AMI_ELIMIT && res.name && !strcmp(res.name, "SliceLimitExceeded");
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
    json_decref(w);
    return ok ? 0 : 1;
}
C
cc -std=gnu11 -O0 -w -I/usr/share/duktape -c /usr/share/duktape/duktape.c -o "$dir/duktape.o" || exit 1
cc -std=gnu11 -Wall -Iinclude -I/usr/share/duktape $(pkg-config --cflags jansson) -c "$dir/host.c" -o "$dir/host.o" || exit 1
# the host's objects (its Duktape included) come first, then libami.a
# libami's own dependencies: the packages its pkg-config file requires (shared), plus its private libs
pkgs=$(sed -n 's/^Requires\(\.private\)\{0,1\}: *//p' "$B/libami.pc" | tr ',' ' ')
deps="$(pkg-config --libs $pkgs) -lm -pthread"
cc -o "$dir/host" "$dir/host.o" "$dir/duktape.o" "$B/libami.a" $deps || exit 1
timeout 60 "$dir/host"; rc=$?
[ $rc -eq 124 ] && echo "FAILED: the runaway script was not stopped (host Duktape replaced libami's?)"
exit $rc
