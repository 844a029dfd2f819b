// irq-server's page: plain JavaScript over the JSON routes, drawn on canvases (a 256-CPU x
// 2000-IRQ host would be half a million DOM nodes as a table). No library, no build step.
// window.irqUi reports what the browser test checks: readiness, timings, the busiest cell.
"use strict";

const RATE_PERIOD = 5;          // seconds of the heatmap's and the bars' window
const REFRESH_MS = 3000;        // heatmap and bars
const SLOW_REFRESH_MS = 30000;  // history and usage charts
const HISTORY_POINTS = 20;

const ui = window.irqUi = {ready: false, firstPaintMs: null, refreshMainMs: [], busiest: null,
                           span: null, rows: [], errors: []};
const state = {token: sessionStorage.getItem("irqToken"), topology: null, details: new Map(),
               selected: null, timer: null, slowTimer: null};
const $ = (id) => document.getElementById(id);

class AuthNeeded extends Error {}

// ---- data ------------------------------------------------------------------------------
async function api(path, timing) {
  const headers = state.token ? {Authorization: "Bearer " + state.token} : {};
  const response = await fetch(path, {headers});
  if (response.status === 401) {
    askToken();
    throw new AuthNeeded(path);
  }
  const text = await response.text();
  const started = performance.now();
  const body = JSON.parse(text);
  if (timing) timing.ms += performance.now() - started;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${body.detail || ""}`);
  return body;
}

function askToken() {
  $("auth").hidden = false;
  $("auth-token").focus();
}

$("auth-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = $("auth-token").value.trim();
  sessionStorage.setItem("irqToken", state.token);
  $("auth").hidden = true;
  start();
});

// ---- colour ------------------------------------------------------------------------------
const STOPS = [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]];

function colour(t) {  // 0..1 -> plasma-like RGB
  if (!(t > 0)) return "rgb(245,245,245)";
  const x = Math.min(1, t) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((v, k) => Math.round(v + f * (STOPS[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const logScale = (max) => (v) => (v > 0 ? Math.log10(1 + v) / Math.log10(1 + max) : 0);

function fmt(rate) {
  if (rate >= 1e6) return (rate / 1e6).toFixed(1) + "M";
  if (rate >= 1e3) return (rate / 1e3).toFixed(1) + "k";
  return rate.toFixed(rate >= 10 ? 0 : 1);
}

// ---- heatmap -----------------------------------------------------------------------------
const LABEL_W = 170, AXIS_H = 36;

function drawHeatmap(data) {
  const canvas = $("heatmap"), ctx = canvas.getContext("2d");
  const cpus = data.cpus, irqs = data.irqs, seconds = data.period_duration_seconds || 1;
  const rowH = Math.max(6, Math.min(14, Math.floor(520 / Math.max(1, irqs.length))));
  canvas.height = irqs.length * rowH + AXIS_H;
  const cellW = (canvas.width - LABEL_W) / Math.max(1, cpus.length);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  let max = 0, busiest = null;
  for (const irq of irqs) {
    irq.num_interrupts_per_cpu.forEach((n, j) => {
      const rate = n / seconds;
      if (rate > max) { max = rate; busiest = {irq: irq.irq_num, cpu: cpus[j], rate}; }
    });
  }
  const scale = logScale(max || 1);
  ctx.font = `${Math.min(11, rowH)}px system-ui, sans-serif`;
  ctx.textBaseline = "middle";
  irqs.forEach((irq, i) => {
    const y = i * rowH;
    const info = state.details.get(irq.irq_num);
    ctx.fillStyle = irq.irq_num === state.selected ? "#036" : "#333";
    const name = (info ? (info.managed ? "⚑ " : "") + info.device_name : "").slice(0, 22);
    ctx.fillText(`${irq.irq_num} ${name}`, 2, y + rowH / 2, LABEL_W - 6);
    irq.num_interrupts_per_cpu.forEach((n, j) => {
      ctx.fillStyle = colour(scale(n / seconds));
      ctx.fillRect(LABEL_W + j * cellW, y, Math.max(1, cellW - (cellW > 3 ? 1 : 0)), rowH - 1);
    });
  });
  drawNodes(ctx, cpus, cellW, irqs.length * rowH);
  drawLegend(max);
  ui.rows = irqs.map((irq) => irq.irq_num);
  ui.rowH = rowH;
  ui.busiest = busiest;
  ui.span = {start: data.start, end: data.end};
}

function drawNodes(ctx, cpus, cellW, top) {
  const nodeOf = new Map((state.topology || []).map((c) => [c.cpu, c.node]));
  const palette = ["#4a7", "#47a", "#a74", "#a47", "#7a4", "#74a", "#aa4", "#4aa"];
  let from = 0;
  for (let j = 1; j <= cpus.length; j++) {
    const node = nodeOf.get(cpus[from]);
    if (j < cpus.length && nodeOf.get(cpus[j]) === node) continue;
    const x = LABEL_W + from * cellW, w = (j - from) * cellW;
    ctx.fillStyle = node === undefined || node === null ? "#999" : palette[node % palette.length];
    ctx.fillRect(x, top + 4, w - 1, 8);
    ctx.fillStyle = "#333";
    ctx.fillText(`node ${node ?? "?"}: CPU ${cpus[from]}–${cpus[j - 1]}`, x + 2, top + 24);
    from = j;
  }
}

function drawLegend(max) {
  const canvas = $("legend"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (let x = 0; x < 300; x++) {
    ctx.fillStyle = colour((x + 1) / 300);
    ctx.fillRect(x, 0, 1, 14);
  }
  ctx.fillStyle = "#333";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText("0/s", 0, 28);
  ctx.fillText(`${fmt(Math.sqrt(max))}/s`, 140, 28);
  ctx.fillText(`${fmt(max)}/s (log scale)`, 250, 28);
}

// ---- per-CPU bars ------------------------------------------------------------------------
function drawBars(window) {
  const canvas = $("bars"), ctx = canvas.getContext("2d");
  const seconds = window.period_duration_seconds || 1;
  const rates = window.num_interrupts_per_cpu.map((n) => n / seconds);
  const max = Math.max(1, ...rates);
  const mean = rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length);
  const busiest = rates.indexOf(Math.max(...rates));
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const w = (canvas.width - LABEL_W) / Math.max(1, rates.length), h = canvas.height - 20;
  rates.forEach((r, j) => {
    ctx.fillStyle = j === busiest ? "#c33" : "#58a";
    const bh = (r / max) * h;
    ctx.fillRect(LABEL_W + j * w, h - bh, Math.max(1, w - 1), bh);
  });
  ctx.strokeStyle = "#333";
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(LABEL_W, h - (mean / max) * h);
  ctx.lineTo(canvas.width, h - (mean / max) * h);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = "#333";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(`max ${fmt(max)}/s`, 2, 10);
  ctx.fillText(`mean ${fmt(mean)}/s`, 2, h - (mean / max) * h);
  $("imbalance").textContent = rates.length ? `— busiest CPU ${window.cpus[busiest]}: ` +
    `${fmt(rates[busiest])}/s, ${(mean ? rates[busiest] / mean : 0).toFixed(2)}× the mean` : "";
}

// ---- line charts -------------------------------------------------------------------------
function drawLines(canvas, series, {max = null, unit = "", bold = null} = {}) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const points = series.length ? series[0].length : 0;
  const top = max ?? Math.max(1, ...series.flat().filter(Number.isFinite));
  const left = 40, h = canvas.height - 16, w = canvas.width - left - 4;
  ctx.fillStyle = "#666";
  ctx.font = "10px system-ui, sans-serif";
  ctx.fillText(`${fmt(top)}${unit}`, 0, 10);
  ctx.fillText(`0${unit}`, 0, h);
  if (points < 2) {
    ctx.fillText("no history yet", left + 10, h / 2);
    return;
  }
  const draw = (values, style, width) => {
    ctx.strokeStyle = style;
    ctx.lineWidth = width;
    ctx.beginPath();
    let pen = false;  // a gap (no value) lifts the pen
    values.forEach((v, i) => {
      if (!Number.isFinite(v)) { pen = false; return; }
      const x = left + (i / (points - 1)) * w, y = h - (v / top) * h;
      if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      pen = true;
    });
    ctx.stroke();
  };
  const alpha = series.length > 32 ? 0.25 : 0.7;
  series.forEach((values) => draw(values, `rgba(70,110,170,${alpha})`, 1));
  if (bold) draw(bold, "#c33", 2);
  ctx.lineWidth = 1;
}

async function drawHistory() {
  // only where history reaches: a window before the oldest sample has nothing to say
  const kept = await api("/history");
  if (!kept.oldest || !kept.newest) return drawLines($("history"), []);
  const end = Date.parse(kept.newest) / 1000;
  const begin = Math.max(end - Number($("window").value), Date.parse(kept.oldest) / 1000);
  if (end - begin < 2) return drawLines($("history"), []);
  // windows of at least two sampling intervals: shorter ones would often hold no sample step
  const points = Math.min(HISTORY_POINTS, Math.floor((end - begin) / (2 * kept.interval_seconds)));
  if (points < 2) return drawLines($("history"), []);
  const step = (end - begin) / points;
  const windows = await Promise.all(Array.from({length: points}, (_, k) => {
    const a = begin + k * step;
    return api(`/interrupts?start=${a.toFixed(3)}&end=${(a + step).toFixed(3)}`);
  }));
  const cpus = windows[0].cpus.length;
  const rate = (n, w) => (w.period_duration_seconds > 0 ? n / w.period_duration_seconds : NaN);
  const perCpu = Array.from({length: cpus}, (_, j) => windows.map(
    (w) => rate(w.num_interrupts_per_cpu[j], w)));
  const mean = windows.map((w) => rate(w.num_interrupts_all_cpus, w) / Math.max(1, cpus));
  drawLines($("history"), perCpu, {unit: "/s", bold: mean});
}

async function drawUsage() {
  const q = `period_seconds=${$("window").value}&points=60`;
  const [cpu, memory, storage] = await Promise.all(
    [api(`/cpu?${q}`), api(`/memory?${q}`), api(`/storage?${q}`)]);
  drawLines($("cpu"), [cpu.map((p) => p.usage)], {max: 100, unit: "%"});
  drawLines($("memory"), [memory.map((p) => 100 * p.used_space / (p.total || 1))],
            {max: 100, unit: "%"});
  drawLines($("storage"), [storage.map((p) => 100 * p.used_space / (p.size || 1))],
            {max: 100, unit: "%"});
}

// ---- details -----------------------------------------------------------------------------
async function details(irq) {
  if (!state.details.has(irq)) state.details.set(irq, await api(`/irqs/${irq}`));
  return state.details.get(irq);
}

function list(values) {  // CPU ids as ranges, as the kernel's lists: 0-63,128
  if (values === null || values === undefined) return "—";
  if (!values.length) return "none";
  const parts = [];
  let from = values[0], to = values[0];
  for (const v of values.slice(1).concat([NaN])) {
    if (v === to + 1) { to = v; continue; }
    parts.push(from === to ? `${from}` : `${from}-${to}`);
    from = to = v;
  }
  return parts.join(",");
}

async function showDetails(irq) {
  state.selected = irq;
  const d = await details(irq);
  $("details").innerHTML = "<h2>IRQ details</h2><dl></dl>";
  const dl = $("details").querySelector("dl");
  for (const [k, v] of [["IRQ", d.irq_num], ["device", d.device_name], ["chip", d.chip],
                        ["trigger", d.trigger], ["affinity", list(d.cpu_affinity_list)],
                        ["effective", list(d.effective_affinity_list)],
                        ["node", d.node ?? "—"], ["hint", list(d.affinity_hint)],
                        ["managed", d.managed === null ? "unknown" : d.managed ? "yes" : "no"],
                        ["total", d.total]]) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = String(v ?? "—");
    dl.append(dt, dd);
  }
}

$("heatmap").addEventListener("click", (event) => {
  const rect = event.target.getBoundingClientRect();
  const y = (event.clientY - rect.top) * (event.target.height / rect.height);
  const row = Math.floor(y / (ui.rowH || 10));
  if (row >= 0 && row < ui.rows.length) showDetails(ui.rows[row]).catch(report);
});

// ---- refresh loops -----------------------------------------------------------------------
async function refresh() {
  const timing = {ms: 0};
  const top = Math.max(5, Math.min(500, Number($("top").value) || 50));
  const [irqs, perCpu] = await Promise.all([
    api(`/interrupts/irqs?period_seconds=${RATE_PERIOD}&top=${top}`, timing),
    api(`/interrupts?period_seconds=${RATE_PERIOD}`, timing)]);
  const started = performance.now();
  drawHeatmap(irqs);
  drawBars(perCpu);
  timing.ms += performance.now() - started;
  ui.refreshMainMs.push(timing.ms);
  if (ui.firstPaintMs === null) ui.firstPaintMs = performance.now();
  $("status").textContent = `updated ${new Date().toLocaleTimeString()}`;
  // names and managed marks of rows not seen before: fetched after the paint, then redrawn
  const missing = irqs.irqs.map((i) => i.irq_num).filter((i) => !state.details.has(i));
  if (missing.length) {
    await Promise.all(missing.map((i) => details(i).catch(() => null)));
    drawHeatmap(irqs);
  }
}

function report(error) {
  if (error instanceof AuthNeeded) return;
  ui.errors.push(String(error));
  $("status").textContent = String(error);
}

async function start() {
  clearInterval(state.timer);
  clearInterval(state.slowTimer);
  try {
    const [health, cpus] = await Promise.all([api("/healthz"), api("/cpus")]);
    state.topology = cpus.cpus;
    $("host").textContent = `${health.root}${health.simulated ? " (simulated)" : ""} · ` +
                            `${cpus.cpus.length} CPUs`;
    await refresh();
    ui.ready = true;
    state.timer = setInterval(() => refresh().catch(report), REFRESH_MS);
    Promise.all([drawHistory(), drawUsage()]).catch(report);
    state.slowTimer = setInterval(
      () => Promise.all([drawHistory(), drawUsage()]).catch(report), SLOW_REFRESH_MS);
  } catch (error) {
    report(error);
  }
}

$("window").addEventListener("change", () => Promise.all([drawHistory(), drawUsage()])
  .catch(report));
$("top").addEventListener("change", () => refresh().catch(report));
$("rate-period").textContent = RATE_PERIOD;
start();
