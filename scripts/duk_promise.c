
/* ---- libami (scripts/duk_promise.c, appended to Duktape's source at build time) ----
 * Push a new promise object for lib/runtime/promise.c: prototype `proto` and
 * its n fields (`keys`, hidden-symbol strings kept alive by the caller: state,
 * value, handled, then the rest) defined at once, on a property table sized
 * for them: state 0, handled false, the others undefined.  Through the public
 * API each first write of a field grew the table and looked the key up along
 * the prototype chain (for setters); later writes are then plain overwrites. */
void ami__duk_push_promise(duk_context *ctx, void *proto, void *const *keys, int n);
void ami__duk_push_promise(duk_context *ctx, void *proto, void *const *keys, int n)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_hobject *h;
	int i;
	h = duk_push_object_helper_proto(thr,
	                                 DUK_HOBJECT_FLAG_EXTENSIBLE | DUK_HOBJECT_FLAG_FASTREFS |
	                                     DUK_HOBJECT_CLASS_AS_FLAGS(DUK_HOBJECT_CLASS_OBJECT),
	                                 (duk_hobject *) proto);
	duk_hobject_resize_entrypart(thr, h, (duk_uint32_t) n);
	for (i = 0; i < n; i++) {
		if (i == 0) duk_push_int(ctx, 0);
		else if (i == 2) duk_push_false(ctx);
		else duk_push_undefined(ctx);
		duk_hobject_define_property_internal(thr, h, (duk_hstring *) keys[i], DUK_PROPDESC_FLAGS_WEC);
	}
}
