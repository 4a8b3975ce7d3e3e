-- shadow/page: the live page, one HTML document with its own CSS and JavaScript (nothing from
-- outside, so it works offline). It talks to shadow/web.lua: a WebSocket for live events and
-- status, fetch() for filters and search. Element ids are used by tests/shadow/browser.lua.
return [==[<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tinn shadow</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg: #f6f7f9; --fg: #1d2330; --muted: #6b7385; --line: #d8dce4; --accent: #2f6fde; --bad: #c62828; --ok: #2e7d32; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
  header { display: flex; gap: 1.5em; align-items: baseline; padding: .7em 1.2em; background: #fff; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
  header h1 { font-size: 1.2em; margin: 0; }
  main { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 1em; padding: 1em 1.2em; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8em 1em; }
  h2 { font-size: 1em; margin: 0 0 .6em; }
  table { width: 100%; border-collapse: collapse; font-size: 13px; }
  td, th { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eef0f4; white-space: nowrap; }
  td.path { white-space: normal; word-break: break-all; font-family: ui-monospace, monospace; }
  .kind { font-weight: 600; font-size: 12px; }
  .CREATE { color: #2e7d32; } .DELETE { color: #c62828; } .MODIFY { color: #1565c0; }
  .RENAME_OLD, .RENAME_NEW { color: #8e24aa; } .ATTRIB { color: #6d4c41; } .OVERFLOW { color: #ef6c00; }
  #status.ok { color: var(--ok); } #status.bad { color: var(--bad); font-weight: 600; }
  #counts span { display: inline-block; margin-right: 1em; }
  #live-wrap, #results-wrap { max-height: 420px; overflow: auto; }
  label { display: inline-block; margin: 0 .8em .3em 0; }
  textarea, input[type=text] { width: 100%; font-family: ui-monospace, monospace; font-size: 13px; }
  button { margin-top: .5em; padding: .3em 1em; }
  .muted { color: var(--muted); }
  svg { width: 100%; height: 120px; display: block; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
  <h1>tinn shadow</h1>
  <span>host <b id="host">?</b></span>
  <span>store <span id="store" class="muted">?</span></span>
  <span id="status">connecting…</span>
  <span>shipped <b id="shipped">0</b></span>
</header>
<main>
  <div>
    <section>
      <h2>Events per second <span class="muted">(last minutes)</span></h2>
      <svg id="plot" viewBox="0 0 600 120" preserveAspectRatio="none"></svg>
      <div id="counts"></div>
    </section>
    <section style="margin-top:1em">
      <h2>Live events</h2>
      <div id="live-wrap"><table><thead><tr><th>time</th><th>kind</th><th>path</th></tr></thead><tbody id="live"></tbody></table></div>
    </section>
    <section style="margin-top:1em">
      <h2>Search the store</h2>
      <form id="search">
        <input type="text" id="q-path" placeholder="path contains">
        <label>kind <select id="q-kind"><option value="">any</option></select></label>
        <label>from <input type="text" id="q-from" placeholder="2026-01-01T00:00:00Z" size="22"></label>
        <label>to <input type="text" id="q-to" placeholder="2026-12-31T00:00:00Z" size="22"></label>
        <button type="submit">Search</button>
        <button type="button" id="q-prev">Newer</button>
        <button type="button" id="q-next">Older</button>
        <span id="q-info" class="muted"></span>
      </form>
      <div id="results-wrap"><table><thead><tr><th>time</th><th>kind</th><th>path</th></tr></thead><tbody id="results"></tbody></table></div>
    </section>
  </div>
  <div>
    <section>
      <h2>What is shadowed</h2>
      <form id="filters">
        <div id="kinds"></div>
        <p>Include globs <span class="muted">(one per line; none: everything)</span></p>
        <textarea id="include" rows="3"></textarea>
        <p>Exclude globs</p>
        <textarea id="exclude" rows="3"></textarea>
        <button type="submit" id="save">Save</button>
        <span id="filter-msg" class="muted"></span>
      </form>
    </section>
    <section style="margin-top:1em">
      <h2>Trees</h2>
      <table><thead><tr><th>root</th><th>shipped usn</th><th>behind</th></tr></thead><tbody id="trees"></tbody></table>
    </section>
  </div>
</main>
<script>
"use strict";
const KINDS = ["CREATE", "MODIFY", "DELETE", "RENAME_OLD", "RENAME_NEW", "ATTRIB", "OVERFLOW"];
const LIVE_ROWS = 300;
const token = new URLSearchParams(location.search).get("token");
const auth = token ? { "Authorization": "Bearer " + token } : {};
const $ = (id) => document.getElementById(id);
let searchOffset = 0;
const PAGE_ROWS = 50;

function time(at) {
  const d = typeof at === "number" ? new Date(at * 1000) : new Date(at);
  return isNaN(d) ? String(at) : d.toISOString().replace("T", " ").replace("Z", "");
}

function row(e) {
  const tr = document.createElement("tr");
  const cells = [time(e.at), e.kind, e.path + (e.isDir ? "/" : "")];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (i === 1) td.className = "kind " + e.kind;
    if (i === 2) td.className = "path";
    tr.appendChild(td);
  });
  return tr;
}

function addLive(events) {
  const body = $("live");
  for (const e of events) body.insertBefore(row(e), body.firstChild);
  while (body.children.length > LIVE_ROWS) body.removeChild(body.lastChild);
}

function plot(rates) {
  const svg = $("plot");
  const max = Math.max(1, ...rates);
  const w = 600 / Math.max(1, rates.length);
  let bars = "";
  rates.forEach((r, i) => {
    const h = (r / max) * 110;
    bars += `<rect x="${(i * w).toFixed(2)}" y="${(118 - h).toFixed(2)}" width="${Math.max(w - 0.5, 0.5).toFixed(2)}" height="${h.toFixed(2)}" fill="#2f6fde"/>`;
  });
  svg.innerHTML = `<line x1="0" y1="118" x2="600" y2="118" stroke="#d8dce4"/>` + bars +
    `<text x="4" y="12" font-size="11" fill="#6b7385">max ${max}/s</text>`;
}

function showStatus(s) {
  $("host").textContent = s.host;
  $("store").textContent = s.store;
  $("shipped").textContent = s.shipped;
  const st = $("status");
  if (s.storeOk) {
    st.className = "ok";
    st.textContent = s.behind > 0 ? `store ok, catching up: ${s.behind} behind` : "store ok, up to date";
  } else {
    st.className = "bad";
    st.textContent = `store unreachable, ${s.behind} behind` + (s.storeError ? ` (${s.storeError})` : "");
  }
  $("counts").innerHTML = "";
  for (const k of KINDS) {
    const span = document.createElement("span");
    span.innerHTML = `<span class="kind ${k}">${k}</span> ${s.counts[k] || 0}`;
    $("counts").appendChild(span);
  }
  plot(s.rates || []);
  const trees = $("trees");
  trees.innerHTML = "";
  for (const j of s.journals) {
    const tr = document.createElement("tr");
    [j.root, j.shippedUsn === null ? "-" : j.shippedUsn, j.behind].forEach((t, i) => {
      const td = document.createElement("td"); td.textContent = t; if (i === 0) td.className = "path"; tr.appendChild(td);
    });
    trees.appendChild(tr);
  }
}

function showFilters(f) {
  const kinds = $("kinds");
  kinds.innerHTML = "";
  for (const k of KINDS) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.value = k; box.id = "kind-" + k; box.checked = f.kinds.includes(k);
    label.appendChild(box); label.appendChild(document.createTextNode(" " + k));
    kinds.appendChild(label);
  }
  $("include").value = f.include.join("\n");
  $("exclude").value = f.exclude.join("\n");
}

const lines = (id) => $(id).value.split("\n").map((s) => s.trim()).filter((s) => s);

$("filters").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = {
    kinds: KINDS.filter((k) => $("kind-" + k).checked),
    include: lines("include"), exclude: lines("exclude"),
  };
  const r = await fetch("/api/filters", { method: "PUT", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify(body) });
  const answer = await r.json();
  $("filter-msg").textContent = r.ok ? "saved" : answer.error;
  if (r.ok) showFilters(answer);
});

async function search() {
  const q = new URLSearchParams({ path: $("q-path").value, kind: $("q-kind").value,
    from: $("q-from").value, to: $("q-to").value, limit: PAGE_ROWS, offset: searchOffset });
  const r = await fetch("/api/search?" + q, { headers: auth });
  const answer = await r.json();
  const body = $("results");
  body.innerHTML = "";
  if (!r.ok) { $("q-info").textContent = answer.error; return; }
  for (const e of answer.rows) body.appendChild(row(e));
  $("q-info").textContent = answer.rows.length ? `rows ${searchOffset + 1}–${searchOffset + answer.rows.length}` : "no rows";
}
$("search").addEventListener("submit", (ev) => { ev.preventDefault(); searchOffset = 0; search(); });
$("q-next").addEventListener("click", () => { searchOffset += PAGE_ROWS; search(); });
$("q-prev").addEventListener("click", () => { searchOffset = Math.max(0, searchOffset - PAGE_ROWS); search(); });
for (const k of KINDS) { const o = document.createElement("option"); o.textContent = k; $("q-kind").appendChild(o); }

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/ws` + (token ? "?token=" + encodeURIComponent(token) : ""));
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === "snapshot") {
      $("live").innerHTML = "";
      addLive(msg.events);
      showFilters(msg.status.filters);
    } else {
      addLive(msg.events);
    }
    showStatus(msg.status);
  };
  ws.onclose = () => { $("status").className = "bad"; $("status").textContent = "page disconnected; retrying"; setTimeout(connect, 1000); };
}
connect();
</script>
</body>
</html>
]==]
