// A SPARQL 1.1 endpoint for tests: Oxigraph (npm "oxigraph") behind node's
// http server, on 127.0.0.1 only. Start: node server.js [data files...];
// it prints "LISTENING <port>" when ready.
//   GET/POST /sparql       query (param "query", form body, or application/sparql-query)
//   POST /load?format=...  bulk-load RDF from the body (default text/turtle)
//   POST /fail?status=429&retry_after=1&n=2   answer the next n queries with that status
//   POST /fail?malformed=1&n=1                answer the next n queries with broken JSON
//   GET /stats             {"requests": <queries received>}
// Results come in the format the Accept header prefers of SPARQL JSON, TSV,
// CSV and XML (JSON when it names none of them, 406 when it accepts none).
// Answers to queries carry "Server-Timing: query;dur=<ms>, cpu;dur=<ms>", the
// engine's own time for the query and the processor time it took (benchmarks
// charge that, as a query service's budget does).
// Data goes through Store.load as bytes, without a transaction: a graph of
// 100,000 items loads in seconds, where one INSERT per triple would take
// minutes. (Without a transaction, a file with a syntax error may be loaded
// in part; the load still fails.)
"use strict";
const http = require("http");
const fs = require("fs");
const oxigraph = require("oxigraph");

const store = new oxigraph.Store();
let requests = 0;
let failures = [];

function formatFor(path) {
  if (path.endsWith(".nt")) return "application/n-triples";
  if (path.endsWith(".nq")) return "application/n-quads";
  return "text/turtle";
}

function load(data, format) {
  store.load(data, { format, no_transaction: true });
}

for (const path of process.argv.slice(2)) {
  load(fs.readFileSync(path), formatFor(path));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const RESULT_FORMATS = ["application/sparql-results+json", "text/tab-separated-values", "text/csv", "application/sparql-results+xml"];

// resultsFormat picks the media type the Accept header prefers (highest q,
// then the order written), JSON for none or */*; null when it accepts none.
function resultsFormat(accept) {
  if (!accept) return RESULT_FORMATS[0];
  const wanted = accept.split(",").map((part, i) => {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const p of params) {
      if (p.startsWith("q=")) q = parseFloat(p.slice(2));
    }
    return { type, q: isNaN(q) ? 0 : q, i };
  }).filter((w) => w.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const w of wanted) {
    if (w.type === "*/*" || w.type === "application/*" || w.type === "application/json") return RESULT_FORMATS[0];
    if (w.type === "text/*") return RESULT_FORMATS[1];
    if (RESULT_FORMATS.includes(w.type)) return w.type;
  }
  return null;
}

function send(res, status, type, body, headers) {
  res.writeHead(status, Object.assign({ "Content-Type": type }, headers || {}));
  res.end(body);
}

async function handle(req, res) {
  const url = new URL(req.url, "http://127.0.0.1");
  const body = req.method === "POST" ? await readBody(req) : Buffer.alloc(0);
  if (url.pathname === "/stats") {
    return send(res, 200, "application/json", JSON.stringify({ requests }));
  }
  if (url.pathname === "/load" && req.method === "POST") {
    try {
      load(body, url.searchParams.get("format") || "text/turtle");
      return send(res, 204, "text/plain", "");
    } catch (e) {
      return send(res, 400, "text/plain", String(e));
    }
  }
  if (url.pathname === "/fail" && req.method === "POST") {
    const n = parseInt(url.searchParams.get("n") || "1", 10);
    for (let i = 0; i < n; i++) {
      failures.push({
        status: parseInt(url.searchParams.get("status") || "200", 10),
        retryAfter: url.searchParams.get("retry_after"),
        malformed: url.searchParams.get("malformed") === "1",
      });
    }
    return send(res, 204, "text/plain", "");
  }
  if (url.pathname !== "/sparql") {
    return send(res, 404, "text/plain", "not found");
  }
  if (req.method !== "GET" && req.method !== "POST") {
    return send(res, 405, "text/plain", "use GET or POST", { Allow: "GET, POST" });
  }
  requests++;
  let query = url.searchParams.get("query");
  if (!query && req.method === "POST") {
    const type = (req.headers["content-type"] || "").split(";")[0].trim();
    if (type === "application/sparql-query") query = body.toString("utf8");
    else query = new URLSearchParams(body.toString("utf8")).get("query");
  }
  if (!query) return send(res, 400, "text/plain", "no query");
  const fail = failures.shift();
  if (fail) {
    if (fail.malformed) return send(res, 200, "application/sparql-results+json", '{"head": {"vars": ["x"]}, "results": {"bindings": [');
    const headers = fail.retryAfter ? { "Retry-After": fail.retryAfter } : {};
    return send(res, fail.status, "text/plain", "injected failure", headers);
  }
  const format = resultsFormat(req.headers["accept"]);
  if (!format) return send(res, 406, "text/plain", "accepts none of " + RESULT_FORMATS.join(", "));
  try {
    const start = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const result = store.query(query, { results_format: format });
    // The engine's own time (evaluating and serialising), without the time
    // the request waited for the queries before it: node runs one at a time.
    // cpu is the processor time it took, which other processes on a
    // loaded machine do not stretch.
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu0);
    const cpu = (used.user + used.system) / 1e3;
    return send(res, 200, format, result,
      { "Server-Timing": "query;dur=" + ms.toFixed(3) + ", cpu;dur=" + cpu.toFixed(3) });
  } catch (e) {
    // CONSTRUCT and DESCRIBE answer with a graph, not results.
    if (/Not supported RDF format/.test(String(e))) {
      return send(res, 200, "application/n-triples", store.query(query, { results_format: "application/n-triples" }));
    }
    return send(res, 400, "text/plain", "query error: " + String(e));
  }
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => send(res, 500, "text/plain", String(e)));
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write("LISTENING " + server.address().port + "\n");
});
// Stop with the parent: the Go side closes stdin when it is done.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
