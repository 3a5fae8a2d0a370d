
/*
 *  libami: strings shared between heaps (AMI__DUK_SHARED_STRINGS, defined
 *  by scripts/gen_duk_config.sh; appended to Duktape's source by the build,
 *  hooks in scripts/duk_lean.patch).
 *
 *  Every instance interns the same ~720 strings: a bare heap's ~440 built-in
 *  names and the prelude's.  Each heap kept its own copy (~31 KB of a ~87 KB
 *  idle instance).  Here they are copied once per process from a template
 *  heap (lib/runtime/runtime.c) into a table that no heap owns, flagged
 *  READONLY and REACHABLE, which is how Duktape's ROM strings look:
 *  - reference counting leaves a READONLY header alone (the patch turns the
 *    ROM build's check on), so no heap writes to a shared string and runner
 *    threads may read one at once;
 *  - marking stops at a REACHABLE header, and a heap's sweep walks only its
 *    own string table, where a shared string never is: none is ever freed;
 *  - duk_heap_strtable_intern looks here after the heap's own table and
 *    before it makes a string, so a heap sees one string per content.  A
 *    heap made before the table (the template) keeps its own copies, which
 *    its own table finds first;
 *  - every heap hashes with the same seed (the patch: the ROM build's fixed
 *    seed), so a shared string's stored hash is the one each heap computes.
 *  The table is published once and never changes or goes away; a heap reads
 *  it without a lock.
 */

typedef struct {
	duk_hstring **slots; /* open addressing by hash, a power of two, half full at most */
	duk_uint32_t mask;
	duk_uint32_t count;
	duk_size_t bytes; /* the strings' bytes, headers included */
	/* the strings, side by side in one block: ~24 KB that runner threads
	 * read at once, with no writable neighbour in their cache lines */
	unsigned char *block;
} ami__duk_shared_table;

static ami__duk_shared_table *ami__duk_shared;

DUK_INTERNAL duk_hstring *ami__duk_shared_lookup(const duk_uint8_t *str, duk_uint32_t blen, duk_uint32_t strhash) {
	const ami__duk_shared_table *t = __atomic_load_n(&ami__duk_shared, __ATOMIC_ACQUIRE);
	duk_uint32_t i;
	duk_hstring *h;

	if (t == NULL) {
		return NULL;
	}
	for (i = strhash & t->mask; (h = t->slots[i]) != NULL; i = (i + 1) & t->mask) {
		if (DUK_HSTRING_GET_HASH(h) == strhash && DUK_HSTRING_GET_BYTELEN(h) == blen &&
		    duk_memcmp_unsafe((const void *) str, (const void *) DUK_HSTRING_GET_DATA(h), (size_t) blen) == 0) {
			return h;
		}
	}
	return NULL;
}

/* The bytes duk__strtable_alloc_hstring allocated for h: the header, the
 * data and its NUL, and a non-ASCII string's length in characters
 * (AMI__DUK_HSTRING_CLEN_AFTER_DATA, scripts/duk_lean.patch). */
static duk_size_t ami__duk_hstring_size(duk_hstring *h) {
	duk_size_t blen = DUK_HSTRING_GET_BYTELEN(h);
	duk_size_t clen = duk_unicode_unvalidated_utf8_length(DUK_HSTRING_GET_DATA(h), blen);
	return sizeof(duk_hstring) + blen + 1 + (clen != blen ? sizeof(duk_uint32_t) : 0);
}

#define AMI__DUK_SHARED_ALIGN(n) (((n) + 7) & ~(duk_size_t) 7)
#define AMI__DUK_CACHE_LINE 64

static void ami__duk_shared_free(ami__duk_shared_table *t) {
	if (t == NULL) {
		return;
	}
	free(t->block);
	free(t->slots);
	free(t);
}

int ami__duk_strings_share(duk_context *ctx);
int ami__duk_strings_share(duk_context *ctx) {
	duk_heap *heap = ((duk_hthread *) ctx)->heap;
	ami__duk_shared_table *t;
	ami__duk_shared_table *expected = NULL;
	duk_uint32_t n = 0, size = 16, i, j;
	duk_size_t total = 0, off = 0;
	duk_hstring *h;

	if (__atomic_load_n(&ami__duk_shared, __ATOMIC_ACQUIRE) != NULL) {
		return 0;
	}
	for (i = 0; i < heap->st_size; i++) {
		for (h = heap->strtable[i]; h != NULL; h = h->hdr.h_next) {
			n++;
			total += AMI__DUK_SHARED_ALIGN(ami__duk_hstring_size(h));
		}
	}
	while (size < 2 * n) {
		size *= 2;
	}
	t = (ami__duk_shared_table *) calloc(1, sizeof(*t));
	if (t == NULL || (t->slots = (duk_hstring **) calloc(size, sizeof(duk_hstring *))) == NULL ||
	    posix_memalign((void **) &t->block, AMI__DUK_CACHE_LINE, AMI__DUK_SHARED_ALIGN(total) + AMI__DUK_CACHE_LINE) != 0) {
		if (t != NULL) {
			t->block = NULL;
		}
		ami__duk_shared_free(t);
		return -1;
	}
	t->mask = size - 1;
	for (i = 0; i < heap->st_size; i++) {
		for (h = heap->strtable[i]; h != NULL; h = h->hdr.h_next) {
			duk_size_t sz = ami__duk_hstring_size(h);
			duk_hstring *c = (duk_hstring *) (void *) (t->block + off);
			off += AMI__DUK_SHARED_ALIGN(sz);
			duk_memcpy((void *) c, (const void *) h, sz);
			c->hdr.h_next = NULL;
			DUK_HEAPHDR_SET_REFCOUNT((duk_heaphdr *) c, 1);
			DUK_HEAPHDR_SET_READONLY((duk_heaphdr *) c);
			DUK_HEAPHDR_SET_REACHABLE((duk_heaphdr *) c);
			for (j = DUK_HSTRING_GET_HASH(c) & t->mask; t->slots[j] != NULL; j = (j + 1) & t->mask) {
			}
			t->slots[j] = c;
			t->count++;
			t->bytes += sz;
		}
	}
	if (!__atomic_compare_exchange_n(&ami__duk_shared, &expected, t, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		ami__duk_shared_free(t);
		return 0;
	}
	return (int) t->count;
}

/* The number of shared strings (0: none yet) and their bytes (tests, bench). */
duk_size_t ami__duk_strings_shared(duk_size_t *bytes);
duk_size_t ami__duk_strings_shared(duk_size_t *bytes) {
	const ami__duk_shared_table *t = __atomic_load_n(&ami__duk_shared, __ATOMIC_ACQUIRE);
	if (bytes != NULL) {
		*bytes = t != NULL ? t->bytes : 0;
	}
	return t != NULL ? t->count : 0;
}

/* The number of strings in the heap's own table (tests). */
duk_size_t ami__duk_strings_own(duk_context *ctx);
duk_size_t ami__duk_strings_own(duk_context *ctx) {
	duk_heap *heap = ((duk_hthread *) ctx)->heap;
	duk_size_t n = 0;
	duk_uint32_t i;
	duk_hstring *h;
	for (i = 0; i < heap->st_size; i++) {
		for (h = heap->strtable[i]; h != NULL; h = h->hdr.h_next) {
			n++;
		}
	}
	return n;
}

/* The shared strings whose header a heap wrote to since they were made: a
 * count other than 1 or a lost READONLY or REACHABLE flag (tests). */
duk_size_t ami__duk_strings_shared_written(void);
duk_size_t ami__duk_strings_shared_written(void) {
	const ami__duk_shared_table *t = __atomic_load_n(&ami__duk_shared, __ATOMIC_ACQUIRE);
	duk_size_t n = 0;
	duk_uint32_t i;
	if (t == NULL) {
		return 0;
	}
	for (i = 0; i <= t->mask; i++) {
		duk_heaphdr *h = (duk_heaphdr *) t->slots[i];
		if (h != NULL && (DUK_HEAPHDR_GET_REFCOUNT(h) != 1 || !DUK_HEAPHDR_HAS_READONLY(h) || !DUK_HEAPHDR_HAS_REACHABLE(h))) {
			n++;
		}
	}
	return n;
}
