#!/bin/sh
# Makes libami's duk_config.h from the Debian package's stock one:
# - turns on DUK_USE_INTERRUPT_COUNTER and DUK_USE_EXEC_TIMEOUT_CHECK (the stock
#   header #undefs both); the check calls ami__runtime_exec_timeout_check(udata),
#   which lib/runtime defines, so a runaway script can be interrupted;
# - keeps duk_* symbols hidden (libami exports only ami_*);
# - DUK_USE_LIGHTFUNC_BUILTINS: built-in functions become lightfuncs (a tagged
#   pointer, no object), ~45 KB less per heap (half of a bare heap). What
#   scripts can tell: built-ins have no own properties besides the virtual
#   length/name, and properties cannot be added to them;
# - DUK_USE_HOBJECT_HASH_PROP_LIMIT 8 -> 16: objects with fewer properties
#   are searched linearly instead of getting a hash index (every strict
#   function has ~8 properties, so each carried a 128-byte index): ~14 KB less
#   per idle instance; big objects (dictionaries) are still hashed;
# - DUK_USE_MARK_AND_SWEEP_RECLIMIT 256 -> 8192: past the
#   limit the collector marks what is left by rescanning the whole heap once
#   per 256 levels, so a long chain of objects pointing forward (a pending
#   promise chain of 30,000 .then()s) made every collection take seconds, in C,
#   where no stop request is seen (a 300,000-object forward list plus
#   allocations: over 100 s at 256, 0.7 s at 8192).  Each level costs about
#   96 bytes of C stack at -O2 (gcc -fstack-usage: duk__mark_heaphdr 32 +
#   duk__mark_hobject 48 + return addresses), so 8192 levels need ~800 KiB,
#   on top of what a collection triggered deep in the RegExp compiler finds
#   used: AMI_RUNTIME_STACK_MIN accounts for both;
# - no DUK_USE_LITCACHE_SIZE: the literal cache is a 4 KB array in every heap
#   that only speeds up duk_push_literal, which libami barely uses;
# - DUK_USE_STRTAB_MINSIZE 1024 -> 64 and DUK_USE_STRTAB_GROW_LIMIT 17 -> 64:
#   the string table (chained buckets, 8 bytes each) starts at 64 buckets and
#   doubles when the strings reach 4 per bucket (was: 1.06): an idle
#   instance's own table holds a handful of strings (the ~700 every instance
#   interns are shared, AMI__DUK_SHARED_STRINGS below), so every heap carried
#   an 8 KB table where 0.5 KB do; a lookup compares the hash of one to four
#   strings of its chain before the bytes;
# - DUK_USE_HOBJECT_ENTRY_MINGROW_ADD 16 -> 48: a full property table grows
#   by (used + 48) / 8 entries instead of (used + 16) / 8, so a small object
#   grows by 6 entries instead of 2: a loaded function template (length,
#   name, fileName, _Pc2line, _Varmap, _Formals) or a closure takes its
#   properties in one reallocation instead of three; a create+destroy
#   measured 3.10 -> 2.90 M instructions (callgrind), an idle instance
#   1.8 KB more (112.1 -> 113.9 KB: most small objects are compacted or
#   lose properties after setup).  Since scripts/duk_lean.patch the loader
#   and duk_js_push_closure size a template's and a closure's table once, at
#   its final size, so the setting now serves the other small objects the
#   prelude and scripts build (not measured again on its own);
# - no DUK_USE_HSTRING_ARRIDX and no DUK_USE_HSTRING_CLEN: a string's header
#   is 24 bytes instead of 32 (every interned string: ~720 in an idle
#   instance).  Without the array index field Duktape parses the few
#   strings flagged as array indexes when it needs the number; without the
#   character length field it would count a non-ASCII string's characters
#   on every use (a loop over one quadratic), so scripts/duk_lean.patch
#   (AMI__DUK_HSTRING_CLEN_AFTER_DATA, defined here) sets the ASCII flag
#   when a string is made and keeps a non-ASCII one's length in 4 bytes
#   after its data;
# - AMI__DUK_SHARED_CODE: functions loaded from the dumps libami keeps for
#   the process's life (the prelude and its parts) run their instructions
#   from one copy per process, not a copy in every heap
#   (scripts/duk_lean.patch, lib/runtime/bytecode.c);
# - AMI__DUK_SHARED_STRINGS: the strings every instance interns (a bare
#   heap's built-in names and the prelude's, ~720) are made once per process
#   and shared read-only by every heap (scripts/duk_shared_strings.c,
#   scripts/duk_lean.patch, lib/runtime/runtime.c); every heap hashes its
#   strings with one fixed seed, as Duktape's ROM build does.
set -eu
in=$1; out=$2
reclimit=8192
grep -q '^#undef DUK_USE_EXEC_TIMEOUT_CHECK' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#undef DUK_USE_INTERRUPT_COUNTER' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#undef DUK_USE_LIGHTFUNC_BUILTINS' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#define DUK_USE_HOBJECT_HASH_PROP_LIMIT 8$' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#define DUK_USE_MARK_AND_SWEEP_RECLIMIT 256$' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#define DUK_USE_LITCACHE_SIZE 256$' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#define DUK_USE_STRTAB_MINSIZE 1024$' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#define DUK_USE_STRTAB_GROW_LIMIT 17$' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#define DUK_USE_HOBJECT_ENTRY_MINGROW_ADD 16$' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#define DUK_USE_HSTRING_ARRIDX$' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#define DUK_USE_HSTRING_CLEN$' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
grep -q '^#define DUK_USE_HSTRING_LAZY_CLEN$' "$in" || { echo "gen_duk_config: unexpected $in" >&2; exit 1; }
sed -e 's|^#undef DUK_USE_EXEC_TIMEOUT_CHECK$|extern int ami__runtime_exec_timeout_check(void *udata);\n#define DUK_USE_EXEC_TIMEOUT_CHECK(udata) ami__runtime_exec_timeout_check((udata))|' \
    -e 's|^#undef DUK_USE_INTERRUPT_COUNTER$|#define DUK_USE_INTERRUPT_COUNTER|' \
    -e 's|^#undef DUK_USE_LIGHTFUNC_BUILTINS$|#define DUK_USE_LIGHTFUNC_BUILTINS|' \
    -e 's|^#define DUK_USE_HOBJECT_HASH_PROP_LIMIT 8$|#define DUK_USE_HOBJECT_HASH_PROP_LIMIT 16|' \
    -e 's|^#define DUK_USE_LITCACHE_SIZE 256$|#undef DUK_USE_LITCACHE_SIZE|' \
    -e 's|^#define DUK_USE_STRTAB_MINSIZE 1024$|#define DUK_USE_STRTAB_MINSIZE 64|' \
    -e 's|^#define DUK_USE_STRTAB_GROW_LIMIT 17$|#define DUK_USE_STRTAB_GROW_LIMIT 64|' \
    -e 's|^#define DUK_USE_HOBJECT_ENTRY_MINGROW_ADD 16$|#define DUK_USE_HOBJECT_ENTRY_MINGROW_ADD 48|' \
    -e 's|^#define DUK_USE_HSTRING_ARRIDX$|#undef DUK_USE_HSTRING_ARRIDX|' \
    -e 's|^#define DUK_USE_HSTRING_CLEN$|#undef DUK_USE_HSTRING_CLEN\n#define AMI__DUK_HSTRING_CLEN_AFTER_DATA\n#define AMI__DUK_SHARED_CODE\n#define AMI__DUK_SHARED_STRINGS|' \
    -e "s|^#define DUK_USE_MARK_AND_SWEEP_RECLIMIT 256\$|#define DUK_USE_MARK_AND_SWEEP_RECLIMIT $reclimit|" \
    -e 's|visibility("default")|visibility("hidden")|g' \
    "$in" > "$out.tmp"
mv "$out.tmp" "$out"
