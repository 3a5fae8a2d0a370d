
/* ---- libami (scripts/duk_record.c, appended to Duktape's source at build time) ----
 * Plain records without a property call per field, for the web objects made
 * per request (lib/runtime/web: a Deno.serve request, a Response).
 *
 * ami__duk_push_record: replace the n values on top of the stack with a new
 * object of prototype `proto` (NULL: Object.prototype) whose own data
 * properties keys[i] (distinct interned strings the caller keeps alive) hold
 * them in that order, on a property table sized for them, as an object
 * literal would make it; `hidden`: writable and configurable but not
 * enumerable (what W.hide defines), else all three.  An object literal costs
 * Duktape a duk_def_prop per property (about 450 instructions each).
 *
 * ami__duk_record_pairs: when the value at idx is a plain record — an
 * ordinary object (no exotic behaviour) whose prototype is Object.prototype
 * or null, with no array items, whose own properties are all data properties
 * keyed by strings that are neither symbols nor array indices — push the key
 * and the value of each enumerable one (in Object.keys order: insertion) and
 * return how many; else push nothing and return -1.  Object.keys on such a
 * record costs an enumerator object and an array (about 4,000 instructions). */
void ami__duk_push_record(duk_context *ctx, void *proto, void *const *keys, int n, int hidden);
int ami__duk_record_pairs(duk_context *ctx, duk_idx_t idx);

void ami__duk_push_record(duk_context *ctx, void *proto, void *const *keys, int n, int hidden)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_heap *heap = thr->heap;
	duk_small_uint_t fl = hidden ? (DUK_PROPDESC_FLAG_WRITABLE | DUK_PROPDESC_FLAG_CONFIGURABLE) : DUK_PROPDESC_FLAGS_WEC;
	duk_idx_t base = duk_get_top(ctx) - n;
	duk_hobject *h;
	int i;
	h = duk_push_object_helper_proto(thr,
	                                 DUK_HOBJECT_FLAG_EXTENSIBLE | DUK_HOBJECT_FLAG_FASTREFS |
	                                     DUK_HOBJECT_CLASS_AS_FLAGS(DUK_HOBJECT_CLASS_OBJECT),
	                                 proto != NULL ? (duk_hobject *) proto : thr->builtins[DUK_BIDX_OBJECT_PROTOTYPE]);
	if (n > 0) duk_hobject_resize_entrypart(thr, h, (duk_uint32_t) n);
	if (DUK_HOBJECT_GET_HSIZE(h) != 0 || DUK_HOBJECT_GET_ESIZE(h) < (duk_uint32_t) n) {
		/* not the plain list counted on: define them one by one */
		for (i = 0; i < n; i++) {
			duk_dup(ctx, base + i);
			duk_hobject_define_property_internal(thr, h, (duk_hstring *) keys[i], fl);
		}
	} else {
		for (i = 0; i < n; i++) {
			duk_hstring *k = (duk_hstring *) keys[i];
			duk_tval *tv = DUK_HOBJECT_E_GET_VALUE_TVAL_PTR(heap, h, i);
			duk_tval *src = duk_get_tval(thr, base + i);
			DUK_HOBJECT_E_SET_KEY(heap, h, i, k);
			DUK_HSTRING_INCREF(thr, k);
			DUK_TVAL_SET_TVAL(tv, src);
			DUK_TVAL_INCREF(thr, tv);
			DUK_HOBJECT_E_SET_FLAGS(heap, h, i, fl);
		}
		DUK_HOBJECT_SET_ENEXT(h, (duk_uint32_t) n);
	}
	duk_replace(ctx, base);
	duk_set_top(ctx, base + 1);
}

int ami__duk_record_pairs(duk_context *ctx, duk_idx_t idx)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_heap *heap = thr->heap;
	duk_hobject *h = duk_get_hobject(thr, idx);
	duk_hobject *proto;
	duk_uint32_t i, n_e, count = 0;
	if (h == NULL || DUK_HOBJECT_GET_CLASS_NUMBER(h) != DUK_HOBJECT_CLASS_OBJECT || DUK_HOBJECT_HAS_EXOTIC_BEHAVIOR(h) ||
	    DUK_HOBJECT_IS_PROXY(h))
		return -1;
	proto = DUK_HOBJECT_GET_PROTOTYPE(heap, h);
	if (proto != NULL && proto != thr->builtins[DUK_BIDX_OBJECT_PROTOTYPE]) return -1;
#if defined(DUK_USE_ARRAY_PART)
	for (i = 0; i < DUK_HOBJECT_GET_ASIZE(h); i++)
		if (!DUK_TVAL_IS_UNUSED(DUK_HOBJECT_A_GET_VALUE_PTR(heap, h, i))) return -1;
#endif
	n_e = DUK_HOBJECT_GET_ENEXT(h);
	duk_require_stack(ctx, (duk_idx_t) (2 * n_e));   /* first: growing the stack may run a collection */
	for (i = 0; i < n_e; i++) {
		duk_hstring *k = DUK_HOBJECT_E_GET_KEY(heap, h, i);
		if (k == NULL) continue;   /* deleted */
		if (DUK_HSTRING_HAS_SYMBOL(k) || DUK_HSTRING_HAS_ARRIDX(k) || (DUK_HOBJECT_E_GET_FLAGS(heap, h, i) & DUK_PROPDESC_FLAG_ACCESSOR))
			return -1;
		if (DUK_HOBJECT_E_GET_FLAGS(heap, h, i) & DUK_PROPDESC_FLAG_ENUMERABLE) count++;
	}
	for (i = 0; i < n_e; i++) {
		duk_hstring *k = DUK_HOBJECT_E_GET_KEY(heap, h, i);
		if (k == NULL || !(DUK_HOBJECT_E_GET_FLAGS(heap, h, i) & DUK_PROPDESC_FLAG_ENUMERABLE)) continue;
		duk_push_hstring(thr, k);
		duk_push_tval(thr, DUK_HOBJECT_E_GET_VALUE_TVAL_PTR(heap, h, i));
	}
	return (int) count;
}

/* ami__duk_pack: replace the count values on top of the stack with an array of them
 * (Duktape's internal duk_pack: written straight into the array's items). */
void ami__duk_pack(duk_context *ctx, duk_idx_t count);

void ami__duk_pack(duk_context *ctx, duk_idx_t count)
{
	duk_pack((duk_hthread *) ctx, count);
}
