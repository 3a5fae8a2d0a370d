/*
 * Internal: lowering of modern JavaScript (ES2020 script syntax, with
 * top-level await and return) to ES5.1 that Duktape 2.7 compiles.
 *
 * The output is meant to be the body of a function (lib/runtime compiles
 * `function(){` + out + `\n}`, the prefix on line 1 so lines stay the
 * user's).  Every output token is on its source line.
 *
 * Lowered code calls these helpers; the runtime runs ami__lower_helpers_js
 * (lib/runtime/js/lower_helpers.js; global code, or a non-strict function body) in every heap
 * after its prelude and before user code (lib/runtime/prelude.c keeps it as bytecode).
 * All are plain ES5 functions (the file also defines Symbol.asyncIterator
 * and String.raw when Duktape lacks them):
 *
 *   __ami_iter(x)          iterator ({next()}) for x: arrays and array-likes,
 *                          strings (by code point), objects with
 *                          [Symbol.iterator] or "@@iterator" methods, Map/Set
 *                          (entries()/values()), or anything with .next.
 *   __ami_iterclose(it)    calls it.return() if it has one (a for-of left
 *                          early by break, return or throw).
 *                          TypeError "x is not iterable" otherwise.
 *   __ami_aiter(x)         iterator for `for await`: x's Symbol.asyncIterator /
 *                          "@@asyncIterator" iterator with each next() result
 *                          awaited, else __ami_iter(x) with each value awaited.
 *   __ami_arr(x)           x itself if an Array, else a new Array of its
 *                          iterated values (array destructuring source).
 *   __ami_spread(x)        a new Array of x's iterated values (spread).
 *   __ami_objspread(t, s...) copies own enumerable properties of each source
 *                          (null/undefined skipped) into t; returns t.
 *   __ami_objrest(s, keys) new object with s's own enumerable properties
 *                          except `keys` (array of strings).
 *   __ami_new(C, args)     new C(...args).
 *   __ami_tpl(cooked, raw) cooked array (frozen) with .raw = raw (frozen):
 *                          a tagged template's strings object.
 *   __ami_class(Base, fn)  checks Base (function or null) and returns fn(Base).
 *   __ami_inherits(C, B)   C.prototype inherits B.prototype, C inherits B.
 *   __ami_method(o, k, f)  defines a non-enumerable method.
 *   __ami_accessor(o, k, get, set, enumerable) defines/merges a getter/setter.
 *   __ami_prop(o, k, v)    defines an enumerable data property; returns o.
 *   __ami_super(self, B, args) runs B's constructor on self (copies `message`
 *                          and `stack` when B is Error-like, and sets `cause`
 *                          from args[1]); returns self.
 *   __ami_cause(err, opts) err with an own non-enumerable `cause` when opts
 *                          has one (new Error(message, { cause })); returns err.
 *   __ami_home(o)          gives o's methods that use super (functions named
 *                          __ami_hN) their home object (fn.__ami_home) and
 *                          their name; returns o.
 *   __ami_sset(proto, k, v, self) super.k = v: a setter found from proto runs
 *                          with self as this, else v lands on self; returns v.
 *   __ami_setproto(o, v)   `__proto__: v` in an object literal (v an object
 *                          or null).
 *   __ami_sget(proto, k, self) super.k: the property k found from proto up
 *                          its chain; a getter runs with `self` as this.
 *   __ami_const(name)      throws TypeError "Assignment to constant variable."
 *   __ami_nonew(name)      throws TypeError "Class constructor name cannot be
 *                          invoked without 'new'" (a class called as a function).
 *   __ami_enum(keys, vals) a TypeScript enum's object: keys[i] -> vals[i],
 *                          and vals[i] -> keys[i] for numeric values.
 *   __ami_tdz(name)        throws ReferenceError "Cannot access 'name' before
 *                          initialization" (a use above a let/const/class
 *                          declaration in the same function, or a closure's use
 *                          while the binding still holds __ami_u).
 *   __ami_u                the value of a let/const/class binding that a
 *                          closure created before its declaration (or a
 *                          hoisted function) uses, until the declaration runs.
 *
 * Provided by the runtime's prelude (lib/runtime/js/prelude.js), because
 * they run on its coroutines (one Duktape thread per running async call or
 * generator) and its job queue:
 *   __ami_async(fn, self, args)  runs fn on a new coroutine until its first
 *                          await; returns the promise of its result.
 *   __ami_await(x)         suspends the running coroutine until x settles (a
 *                          promise job resumes it); returns the value or
 *                          throws the reason.
 *   __ami_gen(fn, self, args) / __ami_agen(fn, self, args)
 *                          a generator / async generator object whose
 *                          coroutine runs fn (function* / async function*).
 *   __ami_yield(v), __ami_yield_star(iterable)    yield / yield* in a generator
 *                          (the body reads __ami_yield once, into a local
 *                          __ami_y; the body function of a generator or async
 *                          function takes the same parameters as its shell).
 *   __ami_ayield(v), __ami_ayield_star(iterable)  the same in an async generator.
 *                          yield* forwards next(v), throw(e) and return(v).
 *   __ami_re(re, names, "suy", source[, lookbehinds])  a regexp literal that
 *                          regex.c rewrote; __ami_re() alone (the first
 *                          statement of a script that has such literals or
 *                          uses the global RegExp) installs the RegExp and
 *                          String method patches before any call.
 *   __ami_genret(e)        rethrows e when it is the signal return() throws at
 *                          a paused yield (first statement of every catch
 *                          clause in a generator: only finally blocks see it).
 */
#ifndef AMI_LOWER_H
#define AMI_LOWER_H
#include <stddef.h>
#include "ami/common.h"

typedef struct ami_lower_error {
    int line, column;       /* 1-based position of the problem */
    char message[256];      /* plain text, e.g. "Unexpected token '}'" */
} ami_lower_error;

/* Lower `src` (len bytes, UTF-8) to ES5 appended to `out`.  0 on success;
 * AMI_ESCRIPT with err filled on a syntax error or unsupported construct;
 * AMI_ENOMEM when out of memory.  Thread-safe (no global state); nesting
 * is limited (200 levels) so it needs about 100 KB of stack. */
int ami__lower(const char *src, size_t len, ami_buf *out, ami_lower_error *err);

/* Source languages.  TypeScript is lowered by removing its types (nothing
 * is type-checked): annotations, interface, type, generics, as/satisfies/!,
 * optional and definite markers, access modifiers (constructor parameter
 * properties become this.x = x), declare, abstract, implements, enums (to
 * objects), import/export type.  AMI__LANG_AUTO accepts all of it too, except
 * type arguments in calls (f<T>(x), a comparison in JavaScript) before the
 * first TypeScript-only syntax. */
enum { AMI__LANG_AUTO = 0, AMI__LANG_JS = 1, AMI__LANG_TS = 2 };

/* ami__lower for a given language (AMI__LANG_*); *detected (may be NULL) gets
 * AMI__LANG_TS when TypeScript was given or TypeScript-only syntax was seen,
 * else AMI__LANG_JS. */
int ami__lower_lang(const char *src, size_t len, int lang, ami_buf *out, ami_lower_error *err, int *detected);

/* The runtime's source preparation in one call (lang: AMI__LANG_*): `out` is cleared and gets
 * the lowered script; on failure returns AMI_ESCRIPT with *se filled (a
 * SyntaxError with line and column; se may be NULL) or AMI_ENOMEM. */
int ami__lower_prepare(const char *src, size_t len, int lang, ami_buf *out, ami_script_error *se);

/* new RegExp(pattern, flags) at run time (UTF-8 or Duktape's CESU-8 bytes):
 * the checks and the rewriting a regexp literal with the same text gets, so
 * both behave alike.  0 with *out filled (out->special 0: the pattern is ES5
 * as it is, give it and the flags to Duktape; 1: out->text holds the
 * rewritten body (body_len bytes), then the source as Node shows it
 * (source_len), then the group names (namelen[i] each), then the content of
 * each leading lookbehind (lb_len[k] each)); AMI_ESCRIPT with
 * err->message (no position) for a bad or unsupported pattern or flags;
 * AMI_ENOMEM.  out->text is the caller's (AMI_BUF_INIT before the first call,
 * ami_buf_dispose after the last). */
typedef struct ami_regex_parts {
    int special;
    ami_buf text;
    size_t body_len, source_len;
    char flags[4];          /* g, i, m for Duktape's RegExp */
    char extra[4];          /* s, u, y for __ami_re */
    int nnames;
    size_t namelen[100];
    int nameidx[100];
    int nlb;                /* leading lookbehinds (their content follows the names in text) */
    int lb_neg[8];
    size_t lb_len[8];
    long lb_max[8];         /* the longest text it matches, -1 unbounded */
} ami_regex_parts;
int ami__lower_regex(const char *pat, size_t plen, const char *flags, size_t flen, ami_regex_parts *out,
                     ami_lower_error *err);

/* ES5 source of the __ami_* helpers listed above (NUL-terminated):
 * lib/runtime/js/lower_helpers.js, turned into C data by scripts/js2c.sh. */
extern const char ami__lower_helpers_js[];

#endif
