
/* ---- libami (scripts/duk_lean.c, appended to Duktape's source at build time) ----
 * Helpers that make an instance's heap cheaper; they use only what Duktape
 * itself does elsewhere.  (What loading the prelude's bytecode leaves out is
 * done in the loader itself: scripts/duk_lean.patch.)
 *
 * ami__duk_destroy_heap_nofin: free a heap without the three mark-and-sweep
 * rounds duk_destroy_heap runs so that finalizers can run; only when no
 * object in the heap has a finalizer (libami installs none and removes the
 * Duktape global scripts would need to set one).  Returns 0 when freed, -1
 * when the caller must use duk_destroy_heap. */
int ami__duk_destroy_heap_nofin(duk_context *ctx);
void ami__duk_gc_settle(duk_context *ctx);

/* ami__duk_valstack_trim: give back the value stack a heap's main thread
 * grew to and no longer uses (loading the prelude's bytecode grows it to
 * ~200 slots, 3.3 KB, which Duktape keeps: its own shrink check runs only in
 * a collection, and only when a quarter would go).  Only between calls (no
 * activation): the reserve goes back to what a fresh heap guarantees an API
 * caller above the top (DUK_VALSTACK_API_ENTRY_MINIMUM) and the allocation to
 * at least a fresh heap's.  With `coroutines`, the heap's other threads (an
 * async body's or a generator's coroutine, suspended) are shrunk to their
 * reserve too (a walk of the heap's objects), as
 * Duktape's emergency collection does (~0.5 KB for a sleeping body).  A
 * failed shrink keeps a stack as it was. */
void ami__duk_valstack_trim(duk_context *ctx, int coroutines);
/* ami__duk_valstack_slots: the slots allocated to ctx's value stack, or with
 * `coroutines` to the heap's other threads' together (tests). */
duk_size_t ami__duk_valstack_slots(duk_context *ctx, int coroutines);

/* Count the next voluntary collection from now, as a collection that kept
 * every live object and string would have set it (Duktape's own formula):
 * where the instance's setup no longer ends with a collection, its runs then
 * meet their collections on the same schedule as before. */
void ami__duk_gc_settle(duk_context *ctx)
{
#if defined(DUK_USE_VOLUNTARY_GC)
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_heap *heap = thr->heap;
	duk_size_t n = heap->st_count;
	duk_heaphdr *h;
	for (h = heap->heap_allocated; h != NULL; h = DUK_HEAPHDR_GET_NEXT(heap, h)) n++;
	heap->ms_trigger_counter = (duk_int_t) ((n / 256) * DUK_HEAP_MARK_AND_SWEEP_TRIGGER_MULT + DUK_HEAP_MARK_AND_SWEEP_TRIGGER_ADD);
#endif
}

/* The heap's threads other than thr (coroutines: an async body's, a generator's),
 * one per call: *h is the walk's place in the heap's object list (NULL to start). */
static duk_hthread *next_coroutine(duk_hthread *thr, duk_heaphdr **h)
{
	*h = *h == NULL ? thr->heap->heap_allocated : DUK_HEAPHDR_GET_NEXT(thr->heap, *h);
	for (; *h != NULL; *h = DUK_HEAPHDR_GET_NEXT(thr->heap, *h))
		if (DUK_HEAPHDR_IS_OBJECT(*h) && DUK_HOBJECT_IS_THREAD((duk_hobject *) *h) && (duk_hthread *) *h != thr)
			return (duk_hthread *) *h;
	return NULL;
}

void ami__duk_valstack_trim(duk_context *ctx, int coroutines)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_size_t used, keep;

	if (thr == NULL || thr->callstack_curr != NULL || thr->valstack_bottom != thr->valstack) return;
	used = (duk_size_t) (thr->valstack_top - thr->valstack);
	keep = used + DUK_VALSTACK_API_ENTRY_MINIMUM;
	if (keep < DUK_VALSTACK_INITIAL_SIZE) keep = DUK_VALSTACK_INITIAL_SIZE;
	if ((duk_size_t) (thr->valstack_alloc_end - thr->valstack) > keep) {
		if (thr->valstack_end > thr->valstack + used + DUK_VALSTACK_API_ENTRY_MINIMUM)
			thr->valstack_end = thr->valstack + used + DUK_VALSTACK_API_ENTRY_MINIMUM;
		(void) duk__resize_valstack(thr, keep);
	}
	if (coroutines) {
		duk_heaphdr *h = NULL;
		duk_hthread *co;
		while ((co = next_coroutine(thr, &h)) != NULL) duk_valstack_shrink_check_nothrow(co, 1);
	}
}

duk_size_t ami__duk_valstack_slots(duk_context *ctx, int coroutines)
{
	duk_hthread *thr = (duk_hthread *) ctx, *co;
	duk_heaphdr *h = NULL;
	duk_size_t n = 0;
	if (!coroutines) return (duk_size_t) (thr->valstack_alloc_end - thr->valstack);
	while ((co = next_coroutine(thr, &h)) != NULL) n += (duk_size_t) (co->valstack_alloc_end - co->valstack);
	return n;
}

int ami__duk_destroy_heap_nofin(duk_context *ctx)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_heap *heap;
	duk_heaphdr *h;

	if (thr == NULL) return 0;
	heap = thr->heap;
#if defined(DUK_USE_FINALIZER_SUPPORT)
	if (heap->finalize_list != NULL) return -1;
	for (h = heap->heap_allocated; h != NULL; h = DUK_HEAPHDR_GET_NEXT(heap, h))
		if (DUK_HEAPHDR_IS_OBJECT(h) && DUK_HOBJECT_HAS_HAVE_FINALIZER((duk_hobject *) h)) return -1;
#endif
#if defined(DUK_USE_REFERENCE_COUNTING)
	if (heap->refzero_list != NULL) return -1;
#endif
	if (heap->ms_running || heap->pf_prevent_count) return -1;
	duk_heap_free_freelists(heap);
	duk__free_allocated(heap);
#if defined(DUK_USE_FINALIZER_SUPPORT)
	duk__free_finalize_list(heap);
#endif
	duk__free_stringtable(heap);
	heap->free_func(heap->heap_udata, heap);
	return 0;
}

/* ami__duk_code_stats: the instructions of the heap's compiled functions
 * (templates and closures sharing one data buffer count once), in *shared
 * those run from a process-wide copy (AMI__DUK_SHARED_CODE), in *own those
 * copied into the heap (tests). */
void ami__duk_code_stats(duk_context *ctx, duk_size_t *shared, duk_size_t *own);
void ami__duk_code_stats(duk_context *ctx, duk_size_t *shared, duk_size_t *own)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_heap *heap = thr->heap;
	duk_heaphdr *h;
	*shared = *own = 0;
	for (h = heap->heap_allocated; h != NULL; h = DUK_HEAPHDR_GET_NEXT(heap, h)) {
		duk_hcompfunc *f;
		duk_heaphdr *data;
		duk_size_t n;
		if (!DUK_HEAPHDR_IS_OBJECT(h) || !DUK_HOBJECT_IS_COMPFUNC((duk_hobject *) h)) continue;
		f = (duk_hcompfunc *) h;
		data = (duk_heaphdr *) DUK_HCOMPFUNC_GET_DATA(heap, f);
		if (data == NULL) continue;
		/* one function per data buffer: the one it names first in the list */
		{
			duk_heaphdr *g;
			int first = 1;
			for (g = heap->heap_allocated; g != h; g = DUK_HEAPHDR_GET_NEXT(heap, g))
				if (DUK_HEAPHDR_IS_OBJECT(g) && DUK_HOBJECT_IS_COMPFUNC((duk_hobject *) g) &&
				    (duk_heaphdr *) DUK_HCOMPFUNC_GET_DATA(heap, (duk_hcompfunc *) g) == data) { first = 0; break; }
			if (!first) continue;
		}
		n = (duk_size_t) DUK_HCOMPFUNC_GET_CODE_COUNT(heap, f);
#if defined(AMI__DUK_SHARED_CODE)
		if (AMI__DUK_HCOMPFUNC_SHARED(heap, f)) { *shared += n; continue; }
#endif
		*own += n;
	}
}

/* ami__duk_compact_scope: compact the property table of the scope the
 * compiled function at idx closes over (the prelude's variables, which
 * Duktape copies out of the registers into a table sized with growth slack
 * when the prelude returns); a no-op for anything else. */
void ami__duk_compact_scope(duk_context *ctx, duk_idx_t idx);
void ami__duk_compact_scope(duk_context *ctx, duk_idx_t idx)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_hobject *f = duk_get_hobject(ctx, idx);
	duk_hobject *env;
	if (f == NULL || !DUK_HOBJECT_IS_COMPFUNC(f)) return;
	env = DUK_HCOMPFUNC_GET_LEXENV(thr->heap, (duk_hcompfunc *) f);
	if (env == NULL || !DUK_HOBJECT_IS_DECENV(env) || ((duk_hdecenv *) env)->thread != NULL) return;   /* open: still in registers */
	duk_hobject_compact_props(thr, env);
}

/* ami__duk_has_string: whether the heap's string table, or the strings all
 * heaps share (scripts/duk_shared_strings.c), hold the string s
 * (NUL-terminated), without interning it (tests). */
int ami__duk_has_string(duk_context *ctx, const char *s);
int ami__duk_has_string(duk_context *ctx, const char *s)
{
	duk_heap *heap = ((duk_hthread *) ctx)->heap;
	duk_size_t n = DUK_STRLEN(s);
	duk_uint32_t i;
	for (i = 0; i < heap->st_size; i++) {
		duk_hstring *h;
		for (h = heap->strtable[i]; h != NULL; h = h->hdr.h_next)
			if (DUK_HSTRING_GET_BYTELEN(h) == n && duk_memcmp(DUK_HSTRING_GET_DATA(h), s, n) == 0) return 1;
	}
#if defined(AMI__DUK_SHARED_STRINGS)
	return ami__duk_shared_lookup((const duk_uint8_t *) s, (duk_uint32_t) n,
	                              duk_heap_hashstring(heap, (const duk_uint8_t *) s, n)) != NULL;
#else
	return 0;
#endif
}
