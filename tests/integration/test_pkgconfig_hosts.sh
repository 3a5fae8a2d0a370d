#!/usr/bin/env bash
# Claim: a C++17 host and a C11 test harness, built only with `pkg-config --cflags --libs libami`
# against a `make install DESTDIR=…` tree, run workers and see their output: the host's loop
# worker writes a key the host reads back (iteration callback counted the runs), the harness's
# single worker logs the line it asserts on.
set -eu
B=${AMI_BUILD:-build}
CXX=${CXX:-g++}
root=$(mktemp -d /tmp/ami-hosts-XXXXXX)
trap 'rm -rf "$root"' EXIT
make --no-print-directory -s install B="$B" DESTDIR="$root" PREFIX=/opt/ami >/dev/null
export PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$root/opt/ami/lib/pkgconfig"
flags=$(pkg-config --cflags --libs libami)
W="-Wall -Wextra -Werror -pedantic"

cat > "$root/host.cpp" <<'CPP'
// A C++17 host: a node on a temporary file store, a loop worker, a callback per iteration.
#include <ami.h>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

static std::atomic<int> runs{0};

static void on_iteration(const ami_node_iteration *it, void *)
{
    if (it->code == 0) runs++;
}

static int die(const char *what)
{
    std::fprintf(stderr, "%s: %s\n", what, ami_error_last());
    return 1;
}

int main()
{
    ami_init();
    ami_store *store = nullptr;
    char *uri = nullptr;
    if (ami_store_open_temp(&store, &uri)) return die("temp store");
    ami_node_options o = AMI_NODE_OPTIONS_INIT;
    o.store_uri = uri;                       // the node opens the file by its URI
    o.nid = "cxx-1";
    o.loop_delay_ms = 10;
    o.on_iteration = on_iteration;
    ami_node *node = nullptr;
    if (ami_node_open(&node, &o) || ami_node_start(node)) return die("node");
    std::unique_ptr<json_t, void (*)(json_t *)> body(
        json_pack("{s:s, s:b}", "scriptContent",
                  "const e = await Stels.net.get(['count']);"
                  "await Stels.net.set(['count'], e.value ? e.value.raw + 1 : 1);",
                  "active", 1),
        [](json_t *j) { json_decref(j); });
    json_t *entry = nullptr;
    if (ami_registry_create(&entry, store, "cxx-1", body.get())) return die("create");
    std::string sid = ami_entry_sid(entry);
    json_decref(entry);
    for (int i = 0; i < 3; i++)
        if (ami_node_wait(node, sid.c_str(), AMI_NODE_WAIT_ITERATION, 10000)) return die("wait");
    while (runs < 3) ami_node_wait(node, sid.c_str(), AMI_NODE_WAIT_ERRORED, 20);
    ami_node_free(node);                     // stops the worker
    json_t *key = ami_key_new("count", NULL), *got = nullptr;
    if (ami_store_get(&got, store, key)) return die("get");
    // Stels.net.set stores {channel, raw, timestamp}
    long long count = json_integer_value(json_object_get(ami_entry_value(got), "raw"));
    std::printf("count %s\n", count >= 3 && count >= runs ? "ok" : "wrong");
    if (count < 3 || count < runs) std::fprintf(stderr, "count %lld, runs %d\n", count, runs.load());
    json_decref(got);
    json_decref(key);
    ami_store_free(store);                   // removes the temporary directory
    ami_free(uri);
    ami_shutdown();
    return count >= 3 ? 0 : 1;
}
CPP

cat > "$root/harness.c" <<'C'
/* A C11 harness: a worker from a string on an in-memory store, its log line asserted. */
#include <ami.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    ami_store *store = NULL;
    ami_node *node = NULL;
    json_t *entry = NULL, *logs = NULL;
    ami_init();
    if (ami_store_open(&store, "sqlite::memory:")) return 1;
    ami_node_options o = AMI_NODE_OPTIONS_INIT;
    o.store = store;
    o.nid = "c-1";
    if (ami_node_open(&node, &o) || ami_node_start(node)) return 2;
    json_t *body = json_pack("{s:s, s:s, s:b}", "scriptContent",
                             "logger.info('hello from ' + Stels.config.nid);", "mode", "single", "active", 1);
    if (ami_registry_create(&entry, store, "c-1", body)) return 3;
    if (ami_node_wait(node, ami_entry_sid(entry), AMI_NODE_WAIT_FINISHED, 10000)) {
        fprintf(stderr, "%s\n", ami_error_last());
        return 4;
    }
    ami_node_logs(&logs, node, ami_entry_sid(entry), 0);
    const char *msg = json_string_value(json_object_get(json_array_get(logs, 0), "msg"));
    printf("%s\n", msg ? msg : "(none)");
    int ok = msg && !strcmp(msg, "hello from c-1");
    json_decref(logs);
    json_decref(entry);
    json_decref(body);
    ami_node_free(node);
    ami_store_free(store);
    ami_shutdown();
    return !ok;
}
C

$CXX -std=c++17 $W -o "$root/host" "$root/host.cpp" $flags
cc -std=c11 $W -o "$root/harness" "$root/harness.c" $flags
export LD_LIBRARY_PATH="$root/opt/ami/lib"
ldd "$root/host" | grep -q "libami.so.0 => $root/opt/ami/lib/libami.so.0"
out=$(timeout 60 "$root/host"); echo "host: $out"; [ "$out" = "count ok" ]
out=$(timeout 60 "$root/harness"); echo "harness: $out"; [ "$out" = "hello from c-1" ]
echo "ok: both ran"
