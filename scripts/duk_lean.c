
/* ---- libami (scripts/duk_lean.c, appended to Duktape's source at build time) ----
 * Helpers that make an instance's heap cheaper; they use only what Duktape
 * itself does elsewhere.
 *
 * ami__duk_lean_functions: after duk_load_function, walk the loaded function
 * and its inner function templates and drop what a closure would otherwise
 * copy for nothing: an empty _Varmap (the loader always makes one, where the
 * compiler leaves it out when a function has no variables to map; a missing
 * one is Duktape's own "environment closed" case), and with strip_debug the
 * _Pc2line table and fileName (for libami's prelude: its frames never show in
 * a user's stack trace, and an error it throws then names the innermost frame
 * that has a fileName, the user's line, as Duktape does for native code).
 * An inner template also loses the .prototype object the loader gives every
 * constructable function (prototype.constructor pointing back: a cycle only a
 * collection frees): closures get their own, and a compiled template has none.
 * Closures made later copy only the properties their template has.
 *
 * ami__duk_destroy_heap_nofin: free a heap without the three mark-and-sweep
 * rounds duk_destroy_heap runs so that finalizers can run; only when no
 * object in the heap has a finalizer (libami installs none and removes the
 * Duktape global scripts would need to set one).  Returns 0 when freed, -1
 * when the caller must use duk_destroy_heap. */
void ami__duk_lean_functions(duk_context *ctx, duk_idx_t idx, int strip_debug);
int ami__duk_destroy_heap_nofin(duk_context *ctx);
void ami__duk_gc_settle(duk_context *ctx);

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

static void ami__duk_lean_one(duk_hthread *thr, duk_hcompfunc *f, int strip_debug, int depth)
{
	duk_heap *heap = thr->heap;
	duk_hobject *obj = (duk_hobject *) f;
	duk_tval *tv;
	duk_hobject **fn, **fn_end;

	if (depth > 100) return;
	if (depth > 0)
		(void) duk_hobject_delprop_raw(thr, obj, DUK_HTHREAD_STRING_PROTOTYPE(thr), DUK_DELPROP_FLAG_FORCE);
	tv = duk_hobject_find_entry_tval_ptr(heap, obj, DUK_HTHREAD_STRING_INT_VARMAP(thr));
	if (tv != NULL && DUK_TVAL_IS_OBJECT(tv) && DUK_HOBJECT_GET_ENEXT(DUK_TVAL_GET_OBJECT(tv)) == 0)
		(void) duk_hobject_delprop_raw(thr, obj, DUK_HTHREAD_STRING_INT_VARMAP(thr), DUK_DELPROP_FLAG_FORCE);
	if (strip_debug) {
#if defined(DUK_USE_PC2LINE)
		(void) duk_hobject_delprop_raw(thr, obj, DUK_HTHREAD_STRING_INT_PC2LINE(thr), DUK_DELPROP_FLAG_FORCE);
#endif
		(void) duk_hobject_delprop_raw(thr, obj, DUK_HTHREAD_STRING_FILE_NAME(thr), DUK_DELPROP_FLAG_FORCE);
	}
	if (DUK_HCOMPFUNC_GET_DATA(heap, f) == NULL) return;
	fn = DUK_HCOMPFUNC_GET_FUNCS_BASE(heap, f);
	fn_end = DUK_HCOMPFUNC_GET_FUNCS_END(heap, f);
	for (; fn < fn_end; fn++)
		if (*fn != NULL && DUK_HOBJECT_IS_COMPFUNC(*fn))
			ami__duk_lean_one(thr, (duk_hcompfunc *) *fn, strip_debug, depth + 1);
}

void ami__duk_lean_functions(duk_context *ctx, duk_idx_t idx, int strip_debug)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_hobject *h = duk_get_hobject(thr, idx);
	if (h != NULL && DUK_HOBJECT_IS_COMPFUNC(h))
		ami__duk_lean_one(thr, (duk_hcompfunc *) h, strip_debug, 0);
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
