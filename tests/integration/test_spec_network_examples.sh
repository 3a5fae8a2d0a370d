#!/usr/bin/env bash
# Claim: the user guide's network examples run as workers: the WebFIX API
# calls of the operator guide (setWorker, updateWorker after listWorkers,
# getWorkerStats, stopAllWorkers), made with fetch from a worker against a
# local amid, do what they say; and the exclusive-mode API endpoint
# (Deno.serve on a node whose amid allows the port) answers curl with the
# price from the store, and its port is free again after amid stops.
set -u
B=${AMI_BUILD:-build}
D=$(realpath "$B/amid"); C=$(realpath "$B/amictl")
dir=$(mktemp -d /tmp/ami-specnet-XXXXXX)
pid=0
trap '[ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
wait_for() { for _ in $(seq 1 300); do eval "$1" && return 0; sleep 0.05; done; return 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hport=$(free_port); aport=$(free_port)

"$D" --nid node-us-east-1 --db t.db --listen "127.0.0.1:$hport" --heartbeat-ms 200 --resync-ms 300 \
     --allow-listen "$aport" 2>amid.log & pid=$!
check "amid serves WebFIX" 'wait_for "curl -s -m 2 -o /dev/null http://127.0.0.1:$hport/ -d {}"'

# ---- the operator guide's fetch calls (open mode: no session needed; sessionToken stays empty) ----
cat > ops.js <<JS
const sessionToken = "";
const API = "http://127.0.0.1:$hport";
// Создание и запуск простого воркера
const createResponse = await fetch(API, {
  method: "POST",
  headers: { "Content-Type": "application/json", "stels-session": sessionToken },
  body: JSON.stringify({
    webfix: "1.0",
    method: "setWorker",
    body: {
      scriptContent: \`
        logger.info('Worker started!');
        const { config } = Stels;
        logger.info('Node ID:', config.nid);
        await Stels.sleep(100);
        logger.info('Worker iteration complete');
      \`,
      executionMode: "parallel",
      priority: "normal",
    },
  }),
});
const worker = await createResponse.json();
const workerId = worker.value.raw.sid;
logger.info("created", workerId);
// Правильное обновление: listWorkers, затем полный raw
const workersResponse = await fetch(API, {
  method: "POST",
  headers: { "Content-Type": "application/json", "stels-session": sessionToken },
  body: JSON.stringify({ webfix: "1.0", method: "listWorkers" }),
});
const workers = await workersResponse.json();
const w = workers.find((w) => w.key[2] === workerId);
const updatedRaw = { ...w.value.raw, active: true, priority: "high" };
const upd = await fetch(API, {
  method: "POST",
  headers: { "Content-Type": "application/json", "stels-session": sessionToken },
  body: JSON.stringify({ webfix: "1.0", method: "updateWorker", body: { channel: \`ami.worker.\${workerId}\`, raw: updatedRaw } }),
});
logger.info("updated", upd.status, (await upd.json()).value.raw.priority);
// Мониторинг статистики (after the worker has run)
let stats;
for (let i = 0; i < 100; i++) {
  const statsResponse = await fetch(API, {
    method: "POST",
    headers: { "Content-Type": "application/json", "stels-session": sessionToken },
    body: JSON.stringify({ webfix: "1.0", method: "getWorkerStats" }),
  });
  stats = await statsResponse.json();
  if (stats.workers.some((s) => s.sid === workerId && s.executions > 0)) break;
  await Stels.sleep(100);
}
const problematicWorkers = stats.workers.filter((w) => parseFloat(w.errorRate) > 1.0);
console.log("executed", stats.workers.some((s) => s.sid === workerId && s.executions > 0), "problematic", problematicWorkers.length);
// Graceful shutdown
const stopResponse = await fetch(API, {
  method: "POST",
  headers: { "Content-Type": "application/json", "stels-session": sessionToken },
  body: JSON.stringify({ webfix: "1.0", method: "stopAllWorkers" }),
});
const result = await stopResponse.json();
console.log(\`Stopped \${result.stopped}/\${result.total} workers\`);
JS
timeout 60 "$C" --db other.db run ops.js --allow-net 127.0.0.1 >ops.out 2>ops.err; rc=$?
check "the WebFIX calls run from a worker" '[ $rc -eq 0 ] && [ ! -s ops.err ]'
[ $rc -eq 0 ] || { cat ops.err ops.out; }
check "setWorker made a worker" 'grep -q "info  created [0-9a-f-]\{36\}$" ops.out'
check "updateWorker took the full raw" 'grep -q "info  updated 200 high$" ops.out'
check "the node ran it; nothing problematic" 'grep -q "info  executed true problematic 0$" ops.out'
check "stopAllWorkers stopped it" 'grep -q "info  Stopped 1/1 workers$" ops.out'

# ---- the user guide's API endpoint, exclusive on this node ----
sed -e "s/const PORT = 8080;/const PORT = $aport;/" > api.js <<'JS'
// API endpoint (assigned to specific node with public IP)
const PORT = 8080;

const handler = async (req) => {
  const url = new URL(req.url);

  if (url.pathname === "/api/price") {
    const symbol = url.searchParams.get("symbol");
    const ticker = await Stels.net.get(["ticker", symbol]);

    return new Response(
      JSON.stringify({
        success: true,
        price: ticker.value.raw.last,
        node: Stels.config.nid,
      }),
      {
        headers: { "Content-Type": "application/json" },
      },
    );
  }

  return new Response("Not Found", { status: 404 });
};

logger.info(`API server started on node ${Stels.config.nid}:${PORT}`);
Deno.serve({ port: PORT }, handler);
JS
printf 'await Stels.net.set(["ticker", "BTCUSDT"], { last: 64123.5 });\n' > seed.js
"$C" --db t.db run seed.js >/dev/null 2>&1
"$C" --db t.db --json create --file api.js --mode exclusive --run single --node node-us-east-1 --start >create.json 2>create.err
check "the endpoint worker is created" '[ -s create.json ]'
check "it answers curl with the stored price" 'wait_for "curl -s -m 2 \"http://127.0.0.1:$aport/api/price?symbol=BTCUSDT\" | grep -q \"\\\"price\\\":64123.5,\\\"node\\\":\\\"node-us-east-1\\\"\""'
check "404 elsewhere" '[ "$(curl -s -m 2 -o /dev/null -w "%{http_code}" "http://127.0.0.1:$aport/nope")" = 404 ]'
check "the start line is in the node log" 'grep -q "API server started on node node-us-east-1:$aport" amid.log'
kill -TERM $pid; wait $pid; pid=0
check "after amid stops the port is free" 'python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", $aport))"'
exit $fail
