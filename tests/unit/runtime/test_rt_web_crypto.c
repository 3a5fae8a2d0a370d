/* Claim: crypto.subtle.digest and HMAC sign in a worker give the bytes the
 * system tools give (sha256sum/sha1sum/sha512sum, openssl dgst -hmac) for
 * random keys and messages, including non-ASCII text and a 1 MiB message. */
#include "rt.h"
#include "util/util.h"

static void hex_of_tool(char *out, size_t cap, const char *cmd)
{
    int rc = 0;
    char buf[1024];
    check_run(buf, sizeof buf, &rc, cmd);
    CHECK_INT(rc, 0);
    /* "HEX  -" (sha*sum) or "HMAC-SHA2-256(stdin)= HEX" (openssl) */
    const char *p = strstr(buf, "= ");
    p = p ? p + 2 : buf;
    size_t n = strspn(p, "0123456789abcdef");
    snprintf(out, cap, "%.*s", (int)n, p);
}

static void digests_and_hmac_match_the_tools(void)
{
    ami_store *net, *local;
    rt_stores(&net, &local);
    for (int round = 0; round < 3; round++) {
        char key[33], msgfile[600], keyfile[600];
        unsigned char kb[16];
        REQUIRE(ami__random_bytes(kb, sizeof kb) == 0);
        for (int i = 0; i < 16; i++) snprintf(key + 2 * i, 3, "%02x", kb[i]);
        snprintf(msgfile, sizeof msgfile, "%s", check_path("msg.txt"));
        snprintf(keyfile, sizeof keyfile, "%s", check_path("key.txt"));
        /* the message: text with non-ASCII characters, repeated (1 MiB in the last round) */
        size_t reps = round == 2 ? 1024 * 1024 / 32 : (size_t)(round + 1);
        FILE *f = fopen(msgfile, "wb");
        REQUIRE(f);
        for (size_t i = 0; i < reps; i++) fputs("héllo wörld € 𝄞 timestamp=17\n", f);
        fclose(f);
        char script[2048];
        snprintf(script, sizeof script,
                 "const enc = new TextEncoder();\n"
                 "const hex = (b) => Array.from(new Uint8Array(b)).map((x) => x.toString(16).padStart(2, '0')).join('');\n"
                 "const msg = 'héllo wörld € 𝄞 timestamp=17\\n'.repeat(%zu);\n"
                 "for (const a of ['SHA-1', 'SHA-256', 'SHA-512']) console.log(hex(await crypto.subtle.digest(a, enc.encode(msg))));\n"
                 "const k = await crypto.subtle.importKey('raw', enc.encode('%s'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);\n"
                 "console.log(hex(await crypto.subtle.sign('HMAC', k, enc.encode(msg))));\n", reps, key);
        rt_logs logs;
        rt_logs_init(&logs);
        ami_runtime_result res;
        CHECK_INT(rt_run(net, local, script, &logs, &res), 0);
        ami_runtime_result_dispose(&res);
        REQUIRE(json_array_size(logs.lines) == 4);
        char want[200], cmd[1500];
        static const char *const tools[] = { "sha1sum", "sha256sum", "sha512sum" };
        for (int t = 0; t < 3; t++) {
            snprintf(cmd, sizeof cmd, "%s '%s'", tools[t], msgfile);
            hex_of_tool(want, sizeof want, cmd);
            CHECK_STR(rt_log_msg(&logs, (size_t)t), want);
        }
        snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -hmac '%s' < '%s'", key, msgfile);
        hex_of_tool(want, sizeof want, cmd);
        CHECK(strlen(want) == 64);
        CHECK_STR(rt_log_msg(&logs, 3), want);
        rt_logs_dispose(&logs);
        (void)keyfile;
    }
    ami_store_free(local);
    ami_store_free(net);
}

int main(void)
{
    RUN(digests_and_hmac_match_the_tools);
    return check_done();
}
