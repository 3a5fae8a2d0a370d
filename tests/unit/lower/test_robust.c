/* Claim: lowering never crashes, hangs or leaks on broken input: every
 * prefix of every corpus file and thousands of random mutations give either
 * code that Duktape compiles or an error with a position (run under ASan by
 * `make asan`).  Counts are bounded to keep this to a few seconds. */
#include <dirent.h>
#include <pthread.h>
#include "jsrun.h"

static unsigned rng = 12345;
static unsigned rnd(void) { rng = rng * 1103515245u + 12345u; return (rng >> 8) & 0xFFFFFF; }

static int total, ok_code, ok_err;
static duk_context *ctx;

static void one(const char *src, size_t len, const char *what)
{
    ami_buf out = AMI_BUF_INIT;
    ami_lower_error err;
    int rc = ami__lower_lang(src, len, (total & 1) ? AMI__LANG_TS : AMI__LANG_AUTO, &out, &err, NULL);   /* both ways */
    total++;
    if (rc == 0) {
        ok_code++;
        /* compile what we produced: a Duktape parse error here would be our bug */
        ami_buf code = AMI_BUF_INIT;
        ami_buf_puts(&code, "(function(){");
        ami_buf_put(&code, out.ptr ? out.ptr : "", out.size);
        ami_buf_puts(&code, "\n})");
        if (js.compile_raw(ctx, code.ptr, code.size, JS_COMPILE_EVAL | JS_COMPILE_SAFE | JS_COMPILE_NOSOURCE | JS_COMPILE_NOFILENAME)) {
            static int shown;
            check_failures++;
            if (getenv("AMI_KEEP_FAIL")) {
                char p[64];
                snprintf(p, sizeof p, "/tmp/lower_fail_%d.js", shown);
                FILE *f = fopen(p, "wb");
                if (f) { fwrite(src, 1, len, f); fclose(f); }
            }
            if (shown++ < 5)
                fprintf(stderr, "  %s: lowered output does not compile: %s\n--- input\n%.*s\n--- output\n%s\n", what,
                        js.safe_to_lstring(ctx, -1, NULL), (int)len, src, out.ptr);
        }
        js.pop(ctx);
        ami_buf_dispose(&code);
    } else {
        ok_err++;
        if (rc != AMI_ESCRIPT || err.line < 1 || err.column < 1 || !err.message[0]) {
            static int shown;
            check_failures++;
            if (shown++ < 5) fprintf(stderr, "  %s: rc %d at %d:%d '%s'\n", what, rc, err.line, err.column, err.message);
        }
    }
    ami_buf_dispose(&out);
}

static char *files[256];
static size_t lens[256];
static int nfiles;

static void load_dir(const char *dir) { nfiles = js_load_dir(dir, files, lens, nfiles, 256); }

static void prefixes(void)
{
    for (int f = 0; f < nfiles; f++) {
        size_t step = lens[f] / 150 + 1;   /* at most ~150 prefixes per file */
        for (size_t n = 0; n <= lens[f]; n += step) one(files[f], n, "prefix");
    }
    fprintf(stderr, "  %d prefixes: %d code, %d errors\n", total, ok_code, ok_err);
}

static void mutations(void)
{
    static const char *const inserts[] = { "(", ")", "{", "}", "[", "]", "`", "${", "/", "'", "\"", "\\", "=>", "?.", "...",
                                           "\n", "async ", "await ", "let ", "class ", "super", "this", "=", ",", ";", "#", "\xe2\x80\xa8", "\xff" };
    int before = total;
    for (int i = 0; i < 3000; i++) {
        int f = (int)(rnd() % (unsigned)nfiles);
        size_t len = lens[f];
        char *buf = malloc(len + 16);
        memcpy(buf, files[f], len);
        int k = 1 + (int)(rnd() % 3);
        for (int m = 0; m < k && len > 0; m++) {
            size_t at = rnd() % len;
            switch (rnd() % 3) {
            case 0: buf[at] = (char)(rnd() & 0xFF); break;
            case 1: memmove(buf + at, buf + at + 1, len - at - 1); len--; break;
            default: {
                const char *ins = inserts[rnd() % (sizeof inserts / sizeof inserts[0])];
                size_t il = strlen(ins);
                if (il > 3) il = 3;
                char *nb = malloc(len + il + 16);
                memcpy(nb, buf, at);
                memcpy(nb + at, ins, il);
                memcpy(nb + at + il, buf + at, len - at);
                free(buf);
                buf = nb;
                len += il;
            }
            }
        }
        one(buf, len, "mutation");
        free(buf);
    }
    fprintf(stderr, "  %d mutations\n", total - before);
}

/* the lowering recurses; its nesting limit keeps it within a small thread stack */
#ifdef __SANITIZE_ADDRESS__
#define SMALL_STACK (1024 * 1024)
#else
#define SMALL_STACK (256 * 1024)
#endif
static const char *th_src;
static size_t th_len;
static int th_rc;
static void *lower_thread(void *arg)
{
    (void)arg;
    ami_buf out = AMI_BUF_INIT;
    ami_lower_error err;
    th_rc = ami__lower(th_src, th_len, &out, &err);
    ami_buf_dispose(&out);
    return NULL;
}

/* line-level edits keep more programs valid, which exercises the emitter */
static void line_edits(void)
{
    int before = total, code_before = ok_code;
    for (int i = 0; i < 1500; i++) {
        int f = (int)(rnd() % (unsigned)nfiles);
        const char *src = files[f];
        size_t len = lens[f];
        /* line starts */
        size_t starts[2048];
        int nl = 0;
        starts[nl++] = 0;
        for (size_t k = 0; k < len && nl < 2047; k++) if (src[k] == '\n') starts[nl++] = k + 1;
        starts[nl] = len;
        int a = (int)(rnd() % (unsigned)nl), b = (int)(rnd() % (unsigned)nl);
        ami_buf out = AMI_BUF_INIT;
        int op = (int)(rnd() % 3);
        for (int l = 0; l < nl; l++) {
            size_t s0 = starts[l], s1 = starts[l + 1];
            if (op == 0 && l == a) continue;                                        /* delete a line */
            if (op == 2 && l == a) { ami_buf_put(&out, src + starts[b], starts[b + 1] - starts[b]); continue; }  /* replace */
            ami_buf_put(&out, src + s0, s1 - s0);
            if (op == 1 && l == a) ami_buf_put(&out, src + starts[b], starts[b + 1] - starts[b]);              /* duplicate */
        }
        one(out.ptr ? out.ptr : "", out.size, "line edit");
        ami_buf_dispose(&out);
    }
    fprintf(stderr, "  %d line edits, %d lowered and compiled\n", total - before, ok_code - code_before);
}

static void deep_nesting_on_small_stack(void)
{
    static const char *const open[] = { "(", "[", "{a:", "x=>", "async (x = ", "{ if (x) ", "a?.[", "[a, {b: ", "`${", "class A extends (" };
    for (size_t k = 0; k < sizeof open / sizeof open[0]; k++) {
        ami_buf b = AMI_BUF_INIT;
        ami_buf_puts(&b, "x = ");
        for (int i = 0; i < 5000; i++) ami_buf_puts(&b, open[k]);
        th_src = b.ptr;
        th_len = b.size;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, SMALL_STACK);
        pthread_t t;
        REQUIRE(pthread_create(&t, &at, lower_thread, NULL) == 0);
        pthread_join(t, NULL);
        pthread_attr_destroy(&at);
        CHECK_INT(th_rc, AMI_ESCRIPT);
        ami_buf_dispose(&b);
    }
}

static void deep_nesting(void)
{
    /* recursion is bounded: deep nesting is an error, not a stack overflow */
    static const char *const open[] = { "(", "[", "{a:", "x=>", "-", "`${", "!" };
    for (size_t k = 0; k < sizeof open / sizeof open[0]; k++) {
        ami_buf b = AMI_BUF_INIT;
        ami_buf_puts(&b, "x = ");
        for (int i = 0; i < 100000; i++) ami_buf_puts(&b, open[k]);
        one(b.ptr, b.size, "deep");
        ami_buf_dispose(&b);
    }
    ami_buf b = AMI_BUF_INIT;
    for (int i = 0; i < 20000; i++) ami_buf_puts(&b, "a+");
    ami_buf_puts(&b, "a;");
    one(b.ptr, b.size, "long chain");
    ami_buf_dispose(&b);
}

int main(void)
{
    if (getenv("AMI_SEED")) rng = (unsigned)atoi(getenv("AMI_SEED"));
    ctx = js_new_heap();
    REQUIRE(ctx);
    load_dir("tests/js/cases");
    load_dir("tests/js/ts");
    load_dir("tests/js/loop");   /* generators, regular expressions */
    load_dir("tests/js/spec");
    load_dir("tests/js/spec/invalid");
    REQUIRE(nfiles > 10);
    RUN(prefixes);
    RUN(mutations);
    RUN(line_edits);
    RUN(deep_nesting);
    RUN(deep_nesting_on_small_stack);
    for (int i = 0; i < nfiles; i++) free(files[i]);
    js.destroy_heap(ctx);
    ami_buf_dispose(&js_out);
    return check_done();
}
