
/* ---- libami (scripts/duk_promise.c, appended to Duktape's source at build time) ----
 * Push a new promise object for lib/runtime/promise.c: prototype `proto` and
 * its n fields (`keys`, hidden-symbol strings kept alive by the caller: state,
 * value, handled, then the rest) defined at once, on a property table sized
 * for them: state 0, handled false, the others undefined.  Field i is the
 * table's entry i (n is below Duktape's hash-part limit, so the table is a
 * plain list).  Through the public API each first write of a field grew the
 * table and looked the key up along the prototype chain (for setters).
 *
 * ami__duk_pget / ami__duk_pput: read (push) or write (pop into) field i of
 * the promise at idx straight in entry i, where ami__duk_push_promise put it,
 * when entry i still holds key i as a plain data property (writable, for a
 * write); anything else (not a promise, a field moved) goes through
 * duk_get_prop_heapptr / duk_put_prop_heapptr as before.  A property lookup
 * by the public API cost about 340 instructions, this about 30. */
void ami__duk_push_promise(duk_context *ctx, void *proto, void *const *keys, int n);
int ami__duk_pget(duk_context *ctx, duk_idx_t idx, void *const *keys, int i);
void ami__duk_pput(duk_context *ctx, duk_idx_t idx, void *const *keys, int i);

void ami__duk_push_promise(duk_context *ctx, void *proto, void *const *keys, int n)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_heap *heap = thr->heap;
	duk_hobject *h;
	int i;
	h = duk_push_object_helper_proto(thr,
	                                 DUK_HOBJECT_FLAG_EXTENSIBLE | DUK_HOBJECT_FLAG_FASTREFS |
	                                     DUK_HOBJECT_CLASS_AS_FLAGS(DUK_HOBJECT_CLASS_OBJECT),
	                                 (duk_hobject *) proto);
	duk_hobject_resize_entrypart(thr, h, (duk_uint32_t) n);
	if (DUK_HOBJECT_GET_HSIZE(h) != 0 || DUK_HOBJECT_GET_ESIZE(h) < (duk_uint32_t) n) {
		/* not the plain list counted on: define them one by one */
		for (i = 0; i < n; i++) {
			if (i == 0) duk_push_int(ctx, 0);
			else if (i == 2) duk_push_false(ctx);
			else duk_push_undefined(ctx);
			duk_hobject_define_property_internal(thr, h, (duk_hstring *) keys[i], DUK_PROPDESC_FLAGS_WEC);
		}
		return;
	}
	for (i = 0; i < n; i++) {
		duk_hstring *k = (duk_hstring *) keys[i];
		duk_tval *tv = DUK_HOBJECT_E_GET_VALUE_TVAL_PTR(heap, h, i);
		DUK_HOBJECT_E_SET_KEY(heap, h, i, k);
		DUK_HSTRING_INCREF(thr, k);
		if (i == 0) DUK_TVAL_SET_I32(tv, 0);
		else if (i == 2) DUK_TVAL_SET_BOOLEAN_FALSE(tv);
		else DUK_TVAL_SET_UNDEFINED(tv);
		DUK_HOBJECT_E_SET_FLAGS(heap, h, i, DUK_PROPDESC_FLAGS_WEC);
	}
	DUK_HOBJECT_SET_ENEXT(h, (duk_uint32_t) n);
}

/* entry i of the object at idx when it is key i as a plain data property */
static duk_tval *ami__duk_promise_slot(duk_hthread *thr, duk_idx_t idx, void *const *keys, int i, int write)
{
	duk_tval *tv = duk_get_tval(thr, idx);
	duk_hobject *h;
	duk_small_uint_t f;
	if (tv == NULL || !DUK_TVAL_IS_OBJECT(tv)) return NULL;
	h = DUK_TVAL_GET_OBJECT(tv);
	if ((duk_uint32_t) i >= DUK_HOBJECT_GET_ENEXT(h) ||
	    DUK_HOBJECT_E_GET_KEY(thr->heap, h, i) != (duk_hstring *) keys[i])
		return NULL;
	f = DUK_HOBJECT_E_GET_FLAGS(thr->heap, h, i);
	if ((f & DUK_PROPDESC_FLAG_ACCESSOR) || (write && !(f & DUK_PROPDESC_FLAG_WRITABLE))) return NULL;
	return DUK_HOBJECT_E_GET_VALUE_TVAL_PTR(thr->heap, h, i);
}

int ami__duk_pget(duk_context *ctx, duk_idx_t idx, void *const *keys, int i)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_tval *tv = ami__duk_promise_slot(thr, idx, keys, i, 0);
	if (tv == NULL) return (int) duk_get_prop_heapptr(ctx, idx, keys[i]);
	duk_push_tval(thr, tv);
	return 1;
}

void ami__duk_pput(duk_context *ctx, duk_idx_t idx, void *const *keys, int i)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_tval *tv = ami__duk_promise_slot(thr, idx, keys, i, 1);
	if (tv == NULL) {
		duk_put_prop_heapptr(ctx, idx, keys[i]);
		return;
	}
	DUK_TVAL_SET_TVAL_UPDREF(thr, tv, duk_get_tval(thr, -1));
	duk_pop(ctx);
}

/* The ring and the job queue of lib/runtime/promise.c (Arrays only the
 * prelude and the host hold), straight in their array part:
 * ami__duk_ring_put: pop the value on top into ring[i] (i at most .length)
 * and return 1 when the slot held something other than undefined, 0 when
 * not; -1 (nothing popped) when ring[i] is outside the array part.
 * ami__duk_ring_clear: when ring[i] is the object at idx, make it undefined
 * and return 1; 0 when it is something else; -1 when i is outside the array
 * part. */
int ami__duk_ring_put(duk_context *ctx, void *ring, duk_uint32_t i);
int ami__duk_ring_clear(duk_context *ctx, void *ring, duk_uint32_t i, duk_idx_t idx);

static duk_tval *ami__duk_ring_slot(duk_hthread *thr, void *ring, duk_uint32_t i, int append)
{
	duk_hobject *h = (duk_hobject *) ring;
	duk_harray *a = (duk_harray *) ring;
	if (DUK_HOBJECT_GET_CLASS_NUMBER(h) != DUK_HOBJECT_CLASS_ARRAY || !DUK_HOBJECT_HAS_ARRAY_PART(h) ||
	    i >= DUK_HOBJECT_GET_ASIZE(h))
		return NULL;
	if (i >= a->length) {
		if (!append || i != a->length || DUK_HARRAY_LENGTH_NONWRITABLE(a)) return NULL;
		a->length = i + 1;
	}
	return DUK_HOBJECT_A_GET_VALUE_PTR(thr->heap, h, i);
}

int ami__duk_ring_put(duk_context *ctx, void *ring, duk_uint32_t i)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_tval *tv = ami__duk_ring_slot(thr, ring, i, 1);
	int held;
	if (tv == NULL) return -1;
	held = !DUK_TVAL_IS_UNUSED(tv) && !DUK_TVAL_IS_UNDEFINED(tv);
	DUK_TVAL_SET_TVAL_UPDREF(thr, tv, duk_get_tval(thr, -1));
	duk_pop(ctx);
	return held;
}

int ami__duk_ring_clear(duk_context *ctx, void *ring, duk_uint32_t i, duk_idx_t idx)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_tval *tv = ami__duk_ring_slot(thr, ring, i, 0);
	duk_tval *o = duk_get_tval(thr, idx);
	if (tv == NULL) return -1;
	if (o == NULL || !DUK_TVAL_IS_OBJECT(tv) || !DUK_TVAL_IS_OBJECT(o) ||
	    DUK_TVAL_GET_OBJECT(tv) != DUK_TVAL_GET_OBJECT(o))
		return 0;
	DUK_TVAL_SET_UNDEFINED_UPDREF(thr, tv);
	return 1;
}
