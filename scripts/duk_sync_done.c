
/* ---- libami (scripts/duk_sync_done.c, appended to Duktape's source at build time) ----
 * ami__duk_sync_done: after a synchronous body's protected call, whether the
 * run is over without the prelude: the value on top is no object (no
 * thenable) and the prelude's job queue and coroutine pool (two arrays the
 * stash keeps) are empty.  2: over, the value is undefined; 1: over, another
 * primitive; 0: the prelude must settle it.  One look at the value's tag and
 * the arrays' lengths: through the API (a push, a length, a pop per array,
 * and a type check) it was a tenth of a trivial loop's iteration. */
int ami__duk_sync_done(duk_context *ctx, void *jobs, void *pool);
int ami__duk_sync_done(duk_context *ctx, void *jobs, void *pool)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_hobject *a = (duk_hobject *) jobs, *b = (duk_hobject *) pool;
	duk_tval *tv;
	if (thr->valstack_top <= thr->valstack_bottom) return 0;
	tv = thr->valstack_top - 1;
	if (DUK_TVAL_IS_OBJECT(tv)) return 0;
	/* anything but a plain array (never: the prelude makes both with []): let the prelude look */
	if (!DUK_HOBJECT_HAS_EXOTIC_ARRAY(a) || !DUK_HOBJECT_HAS_EXOTIC_ARRAY(b)) return 0;
	if (((duk_harray *) a)->length != 0 || ((duk_harray *) b)->length != 0) return 0;
	return DUK_TVAL_IS_UNDEFINED(tv) ? 2 : 1;
}
