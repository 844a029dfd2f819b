// irq-server's page: plain JavaScript over the JSON routes, no build step. The time series and
// bars are uPlot's (vendor/, shipped in the wheel); the heatmap is a canvas of its own (a
// 256-CPU x 2000-IRQ host would be half a million DOM nodes as a table; uPlot has no heatmap).
// Every time is UTC, as in the API and the CLI.
// window.irqUi reports what the browser test checks: readiness, timings, the busiest cell,
// the cells' geometry, the history's points and the change markers.
"use strict";

const RATE_PERIOD = 5;          // seconds of the heatmap's and the bars' window
const REFRESH_MS = 3000;        // heatmap, bars, new changes
const SLOW_REFRESH_MS = 30000;  // history and usage charts
const HISTORY_POINTS = 30;
const EFFECT_SECONDS = 300;     // a change's effect: busiest / mean over this long before and after
const GROUP_GAP = 2;            // seconds: writes closer than this are one change on the timeline
const SHOWN_MOVES = 12;         // IRQs a change lists (the rest counted)
const UTC = "Etc/UTC";
const USAGE = ["cpu", "memory", "storage"];  // the usage charts' element ids

const ui = window.irqUi = {ready: false, firstPaintMs: null, refreshMainMs: [], busiest: null,
                           span: null, rows: [], errors: [], history: null, markers: [],
                           mode: "rate", effect: null, cpuTicks: [],
                           axes: () => Object.fromEntries(Object.entries(state.charts).map(
                             ([id, u]) => [id, u.axes.map((a) => ({label: a.label,
                                                                   ticks: a._values || []}))]))};
const state = {token: sessionStorage.getItem("irqToken"), topology: null, details: new Map(),
               selected: null, timer: null, slowTimer: null, heat: null, charts: {},
               interval: 1, groups: [], lastChange: 0, chosen: null};
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

// ---- formats -----------------------------------------------------------------------------
function axisNumbers(u, splits) {  // ticks in one unit, as many decimals as the step needs
  const top = Math.max(...splits.map(Math.abs)), step = splits.length > 1 ? splits[1] - splits[0] : top;
  const [div, unit] = top >= 1e6 ? [1e6, "M"] : top >= 1e3 ? [1e3, "k"] : [1, ""];
  const decimals = Math.max(0, Math.min(3, -Math.floor(Math.log10(Math.abs(step / div) || 1))));
  return splits.map((v) => (v === 0 ? "0" : (v / div).toFixed(decimals) + unit));
}

function fmt(value) {
  const a = Math.abs(value);
  if (a >= 1e6) return (value / 1e6).toFixed(a >= 1e7 ? 1 : 2) + "M";
  if (a >= 1e3) return (value / 1e3).toFixed(a >= 1e4 ? 1 : 2) + "k";
  return value.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

const two = (n) => String(n).padStart(2, "0");
function utc(seconds, withDate = false) {  // "14:01:02 UTC", or "2026-12-03 14:01:02 UTC"
  const d = new Date(seconds * 1000);
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const date = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} `;
  return `${withDate ? date : ""}${time} UTC`;
}

const epoch = (iso) => Date.parse(iso) / 1000;

// the value a heatmap cell shows: interrupts per second, or the share of one CPU's time the
// IRQ's handlers take there (its cost per interrupt x its rate on that CPU)
const MODES = {
  rate: {title: "Interrupts per second, per IRQ and CPU", order: "busiest IRQs first",
         unit: "/s", text: (v) => fmt(v) + "/s"},
  time: {title: "Interrupt time, per IRQ and CPU (share of the CPU)", order: "costliest IRQs first",
         unit: "%",
         text: (v) => (v >= 1 ? v.toFixed(1) : v >= 0.01 ? v.toFixed(2) : v.toPrecision(2)) + "%"},
};

// ---- colour ------------------------------------------------------------------------------
const STOPS = [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]];
const EMPTY = "rgb(245,245,245)";

function colour(t) {  // 0..1 -> plasma-like RGB
  if (!(t > 0)) return EMPTY;
  const x = Math.min(1, t) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((v, k) => Math.round(v + f * (STOPS[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// log scale from the smallest to the largest value shown: the top colour is the busiest cell
function logScale(low, high) {
  const a = Math.log10(low), b = Math.log10(Math.max(high, low * 1.0001));
  return (v) => (v > 0 ? 0.04 + 0.96 * Math.max(0, (Math.log10(v) - a) / (b - a)) : 0);
}

// a canvas sized to its CSS box, drawn in CSS pixels whatever the device pixel ratio
function sized(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = width + "px";
  canvas.style.height = height + "px";
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

// ---- heatmap -----------------------------------------------------------------------------
const LABEL_W = 230, AXIS_H = 44, ROW_H = 14, FONT = "12px system-ui, sans-serif";

function heatValues(data, mode) {
  // per row, per CPU: the value the cell shows (NaN: not known in this mode)
  const seconds = data.period_duration_seconds || 1;
  return data.irqs.map((irq) => irq.num_interrupts_per_cpu.map((n) => {
    if (mode === "rate") return n / seconds;
    const cost = irq.cost_us_per_interrupt;
    return cost === null || cost === undefined ? NaN : (n * cost * 1e-6 / seconds) * 100;
  }));
}

function drawHeatmap(data, perCpu) {
  const mode = ui.mode;
  const canvas = $("heatmap");
  const cpus = data.cpus, irqs = data.irqs;
  const width = Math.max(400, $("heatmap-box").clientWidth - 24);
  const cellW = (width - LABEL_W) / Math.max(1, cpus.length);
  const height = AXIS_H + irqs.length * ROW_H;
  const ctx = sized(canvas, width, height);
  const values = heatValues(data, mode);
  let max = 0, min = Infinity, busiest = null;
  values.forEach((row, i) => row.forEach((v, j) => {
    if (v > 0 && v < min) min = v;
    if (v > max) { max = v; busiest = {irq: irqs[i].irq_num, cpu: cpus[j], value: v, row: i, col: j}; }
  }));
  if (!(min < Infinity)) min = 1;
  const scale = logScale(Math.min(min, max / 1000 || 1), max || 1);
  ctx.clearRect(0, 0, width, height);
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  drawCpuAxis(ctx, cpus, cellW);
  irqs.forEach((irq, i) => {
    const y = AXIS_H + i * ROW_H;
    const info = state.details.get(irq.irq_num);
    ctx.fillStyle = irq.irq_num === state.selected ? "#036" : "#222";
    const name = info ? (info.managed ? "⚑ " : "") + info.device_name : "";
    ctx.fillText(`${irq.irq_num}  ${name}`, 4, y + ROW_H / 2, LABEL_W - 10);
    values[i].forEach((v, j) => {
      ctx.fillStyle = Number.isNaN(v) ? "#e2e2e2" : colour(scale(v));
      ctx.fillRect(LABEL_W + j * cellW, y, Math.max(1, cellW - (cellW > 3 ? 1 : 0)), ROW_H - 1);
    });
  });
  drawLegend(min, max, mode, scale);
  state.heat = {data, values, perCpu, cellW, mode};
  ui.rows = irqs.map((irq) => irq.irq_num);
  ui.rowH = ROW_H;
  ui.busiest = busiest && {irq: busiest.irq, cpu: busiest.cpu, value: busiest.value,
                           rate: mode === "rate" ? busiest.value : null,
                           x: LABEL_W + (busiest.col + 0.5) * cellW,
                           y: AXIS_H + (busiest.row + 0.5) * ROW_H};
  ui.span = {start: data.start, end: data.end};
  ui.colourMax = max;
}

function drawCpuAxis(ctx, cpus, cellW) {
  // node bars, then CPU numbers: all when they fit, else every 8th (and the last)
  const nodeOf = new Map((state.topology || []).map((c) => [c.cpu, c.node]));
  const palette = ["#4a7", "#47a", "#a74", "#a47", "#7a4", "#74a", "#aa4", "#4aa"];
  ctx.fillStyle = "#444";
  ctx.fillText("IRQ  device", 4, AXIS_H - 10);
  let from = 0;
  for (let j = 1; j <= cpus.length; j++) {
    const node = nodeOf.get(cpus[from]);
    if (j < cpus.length && nodeOf.get(cpus[j]) === node) continue;
    const x = LABEL_W + from * cellW, w = (j - from) * cellW;
    ctx.fillStyle = node === undefined || node === null ? "#999" : palette[node % palette.length];
    ctx.fillRect(x, 2, w - 1, 14);
    ctx.fillStyle = "#fff";
    ctx.fillText(`node ${node ?? "?"}`, x + 4, 9, Math.max(10, w - 8));
    from = j;
  }
  ctx.font = "10px system-ui, sans-serif";
  const room = ctx.measureText(String(cpus[cpus.length - 1] ?? 0)).width + 3;
  const every = [1, 2, 4, 8, 16, 32, 64].find((k) => k * cellW >= room) || 128;
  ctx.fillStyle = "#222";
  ctx.textAlign = "center";
  ui.cpuTicks = [];
  cpus.forEach((cpu, j) => {
    // every `every`th, and the last unless it would overlap the one before
    if (j % every && (j !== cpus.length - 1 || (j % every) * cellW < room)) return;
    const x = LABEL_W + (j + 0.5) * cellW;
    ui.cpuTicks.push(cpu);
    ctx.fillText(String(cpu), x, AXIS_H - 14);
    ctx.fillRect(x, AXIS_H - 6, 1, 4);
  });
  ctx.textAlign = "left";
  ctx.fillStyle = "#666";
  ctx.fillText("CPU", LABEL_W - 32, AXIS_H - 14);
  ctx.font = FONT;
}

function drawLegend(min, max, mode, scale) {
  const canvas = $("legend"), width = 520, bar = 360;
  const ctx = sized(canvas, width, 40);
  ctx.clearRect(0, 0, width, 40);
  const low = Math.min(min, max / 1000 || 1);
  for (let x = 0; x < bar; x++) {  // the bar is the same log scale as the cells
    const v = low * Math.pow(max / low, x / (bar - 1));
    ctx.fillStyle = colour(scale(v));
    ctx.fillRect(x, 0, 1, 16);
  }
  ctx.fillStyle = "#222";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "top";
  const at = (v) => (Math.log10(v) - Math.log10(low)) / (Math.log10(max) - Math.log10(low)) * (bar - 1);
  if (max > low) {
    for (let k = Math.ceil(Math.log10(low)); Math.pow(10, k) < max * 0.8; k++) {
      const x = at(Math.pow(10, k));
      if (x < 20 || x > bar - 40) continue;
      ctx.fillRect(x, 16, 1, 4);
      ctx.fillText(MODES[mode].text(Math.pow(10, k)), x - 10, 22);
    }
  }
  ctx.fillText(MODES[mode].text(low), 0, 22);
  ctx.fillText(`max ${MODES[mode].text(max)} (log scale)`, bar + 8, 2);
  ctx.fillStyle = "#e2e2e2";
  if (mode === "time") {
    ctx.fillRect(bar + 8, 22, 12, 12);
    ctx.fillStyle = "#222";
    ctx.fillText("cost not known", bar + 24, 23);
  }
}

function cellAt(event) {  // the heatmap cell under the pointer, or null
  const heat = state.heat;
  if (!heat) return null;
  const rect = $("heatmap").getBoundingClientRect();
  const x = event.clientX - rect.left, y = event.clientY - rect.top;
  const row = Math.floor((y - AXIS_H) / ROW_H);
  const col = Math.floor((x - LABEL_W) / heat.cellW);
  if (row < 0 || row >= heat.data.irqs.length) return null;
  return {row, col: col >= 0 && col < heat.data.cpus.length ? col : null};
}

function cellText(row, col) {
  const {data, perCpu} = state.heat;
  const irq = data.irqs[row], cpu = data.cpus[col];
  const info = state.details.get(irq.irq_num);
  const seconds = data.period_duration_seconds || 1;
  const n = irq.num_interrupts_per_cpu[col], rate = n / seconds;
  const lines = [`IRQ ${irq.irq_num}  ${info ? info.device_name : ""}`, `CPU ${cpu}`,
                 `${fmt(rate)}/s  (${n} in ${seconds.toFixed(1)} s)`];
  const onCpu = perCpu ? perCpu.num_interrupts_per_cpu[perCpu.cpus.indexOf(cpu)] /
                         (perCpu.period_duration_seconds || 1) : 0;  // all of the CPU's, per s
  if (onCpu > 0) lines.push(`${(100 * rate / onCpu).toFixed(1)}% of CPU ${cpu}'s interrupts`);
  const cost = irq.cost_us_per_interrupt;
  if (cost !== null && cost !== undefined) {
    lines.push(`${cost.toFixed(1)} µs each (${irq.cost_source}): ` +
               `${MODES.time.text(rate * cost * 1e-4)} of the CPU`);
  }
  return lines.join("\n");
}

function showTip(event, text) {
  const tip = $("tip");
  tip.textContent = text;
  tip.hidden = false;
  const x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  tip.style.left = x + "px";
  tip.style.top = (event.clientY + 14) + "px";
}

$("heatmap").addEventListener("mousemove", (event) => {
  const cell = cellAt(event);
  if (!cell || cell.col === null) { $("tip").hidden = true; ui.tip = null; return; }
  ui.tip = {irq: state.heat.data.irqs[cell.row].irq_num, cpu: state.heat.data.cpus[cell.col]};
  showTip(event, cellText(cell.row, cell.col));
});
$("heatmap").addEventListener("mouseleave", () => { $("tip").hidden = true; });
$("heatmap").addEventListener("click", (event) => {
  const cell = cellAt(event);
  if (cell) showDetails(ui.rows[cell.row]).catch(report);
});

// ---- charts (uPlot) ----------------------------------------------------------------------
function chart(id, opts, data) {
  const box = $(id);
  const width = Math.max(200, box.clientWidth);
  if (state.charts[id]) state.charts[id].destroy();
  state.charts[id] = new uPlot({width, height: opts.height || 200, ...opts}, data, box);
  return state.charts[id];
}

const day = (v) => new Date(v * 1000).toISOString().slice(0, 10);

function timeTicks(u, splits, axis, space, incr) {  // 24-hour UTC; days only when they differ
  const days = new Set(splits.map(day)).size > 1;
  return splits.map((v) => {
    const d = new Date(v * 1000);
    const hm = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
    const time = incr < 60 ? `${hm}:${two(d.getUTCSeconds())}` : hm;
    return incr >= 86400 ? day(v).slice(5) : days ? `${day(v).slice(5)} ${time}` : time;
  });
}

// "time (UTC, 2026-12-03)": the day of the axis' end, named once
const timeAxis = (end, space = 60) => ({label: `time (UTC, ${day(end)})`, labelSize: 18, space,
                                         values: timeTicks});
const utcDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), UTC);
const timeSeries = {label: "time", value: "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss} UTC"};

function drawBars(window) {
  const seconds = window.period_duration_seconds || 1;
  const cpus = window.cpus;
  const rates = window.num_interrupts_per_cpu.map((n) => n / seconds);
  const mean = rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length);
  const top = Math.max(...rates);
  const busiest = rates.indexOf(top);
  const nodeOf = new Map((state.topology || []).map((c) => [c.cpu, c.node]));
  const bars = uPlot.paths.bars({size: [0.85, 40], align: 0});
  chart("bars", {
    height: 210,
    scales: {x: {time: false, range: [cpus[0] - 0.5, cpus[cpus.length - 1] + 0.5]},
             y: {range: (u, lo, hi) => [0, Math.max(1, hi) * 1.05]}},
    axes: [{label: "CPU", labelSize: 18, space: 24, incrs: [1, 2, 4, 8, 16, 32, 64, 128],
            values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : ""))},
           {label: "interrupts/s", labelSize: 18, size: 60, values: axisNumbers}],
    series: [{label: "CPU", value: (u, v) => (v === null ? "—" :
               `${v} (node ${nodeOf.get(v) ?? "?"})`)},
             {label: "interrupts/s", fill: "#5b8cc7", stroke: "#5b8cc7", paths: bars,
              points: {show: false}, value: (u, v) => (v === null ? "—" : fmt(v) + "/s")},
             {label: `busiest: CPU ${cpus[busiest]}`, fill: "#c33", stroke: "#c33", paths: bars,
              points: {show: false}, value: (u, v) => (v === null ? "—" : fmt(v) + "/s")},
             {label: "mean", stroke: "#222", dash: [6, 4], width: 1.5, points: {show: false},
              value: () => fmt(mean) + "/s"}],
  }, [cpus, rates.map((r, j) => (j === busiest ? null : r)),
      rates.map((r, j) => (j === busiest ? r : null)), cpus.map(() => mean)]);
  $("imbalance").textContent = rates.length ? `— busiest CPU ${cpus[busiest]}: ` +
    `${fmt(top)}/s, ${(mean ? top / mean : 0).toFixed(2)}× the mean` : "";
}

// ---- history: per-CPU rates over the window, with the affinity changes -------------------
async function historyWindows() {
  // only where history reaches: a window before the oldest sample has nothing to say
  const kept = await api("/history");
  state.interval = kept.interval_seconds || 1;
  if (!kept.oldest || !kept.newest) return null;
  const end = epoch(kept.newest);
  const begin = Math.max(end - Number($("window").value), epoch(kept.oldest));
  // each point a window of whole sampling intervals: a rate over its real covered duration
  const per = Math.max(1, Math.floor((end - begin) / HISTORY_POINTS / state.interval));
  const step = per * state.interval;
  const points = Math.floor((end - begin) / step);
  if (points < 2) return null;
  const first = end - points * step;
  const windows = await Promise.all(Array.from({length: points}, (_, k) => {
    const a = first + k * step;
    return api(`/interrupts?start=${a.toFixed(3)}&end=${(a + step).toFixed(3)}`);
  }));
  return {begin: first, end, windows};
}

// what a write was for: its reason up to the first ": " ("irq-balance apply 1796...: CPU 0
// carries ..." is for "irq-balance apply 1796..."), or the whole reason
const purpose = (reason) => (reason || "").split(": ")[0];

function groupChanges(changes) {
  // one change on the timeline: writes of one caller for one purpose, each within 2 s of the last
  const groups = [];
  for (const c of changes) {
    const last = groups[groups.length - 1];
    if (last && c.timestamp - last.end <= GROUP_GAP && c.who === last.who &&
        purpose(c.reason) === last.purpose) {
      last.changes.push(c);
      last.end = c.timestamp;
    } else {
      groups.push({start: c.timestamp, end: c.timestamp, who: c.who, changes: [c],
                   purpose: purpose(c.reason)});
    }
  }
  for (const g of groups) {  // a reason all its writes share, else what they were for
    g.why = g.changes.every((c) => c.reason === g.changes[0].reason) ? g.changes[0].reason
                                                                     : g.purpose;
  }
  return groups;
}

async function drawHistory() {
  const found = await historyWindows();
  if (!found) {
    $("history").textContent = "no history yet";
    return;
  }
  const {windows} = found;
  const times = windows.map((w) => epoch(w.end));
  const rate = (n, w) => (w.period_duration_seconds > 0 ? n / w.period_duration_seconds : null);
  const cpuCount = windows[0].cpus.length;
  const perCpu = windows[0].cpus.map((_, j) => windows.map((w) => rate(w.num_interrupts_per_cpu[j], w)));
  const mean = windows.map((w) => rate(w.num_interrupts_all_cpus, w) / Math.max(1, cpuCount));
  const busiest = windows.map((w, k) => Math.max(...perCpu.map((s) => s[k] ?? 0)));
  const least = windows.map((w, k) => Math.min(...perCpu.map((s) => s[k] ?? Infinity)));
  const changes = await api(`/affinity/changes?start=${found.begin.toFixed(3)}`);
  state.lastChange = changes.changes.length ? changes.changes[changes.changes.length - 1].id : 0;
  const groups = state.groups = groupChanges(changes.changes);
  if (state.chosen !== null && !groups.some((g) => g.start === state.chosen)) {
    state.chosen = null;
    ui.effect = null;
    $("change-detail").textContent = "";
  }
  ui.history = {times, mean, busiest, cpus: cpuCount, durations: windows.map((w) => w.period_duration_seconds)};
  const u = chart("history", {
    height: 260, tzDate: utcDate,
    scales: {x: {time: true, range: [found.begin, Math.max(found.end, Date.now() / 1000)]},
             y: {range: (u, lo, hi) => [0, Math.max(1, hi) * 1.08]}},
    axes: [timeAxis(found.end), {label: "interrupts/s", labelSize: 18, size: 60, values: axisNumbers}],
    series: [timeSeries,
             {label: "busiest CPU", stroke: "#1f4e8c", width: 1.5, points: {show: false}, value: (u, v) => (v === null ? "—" : fmt(v) + "/s")},
             {label: "mean of the CPUs", stroke: "#c33", width: 2.5, points: {show: false}, value: (u, v) => (v === null ? "—" : fmt(v) + "/s")},
             {label: "least busy CPU", stroke: "#8aa", width: 1.5, points: {show: false}, value: (u, v) => (v === null ? "—" : fmt(v) + "/s")}],
    hooks: {
      drawClear: [(u) => {  // every CPU's line, faint, under the three summary lines
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = perCpu.length > 32 ? "rgba(70,110,170,0.18)" : "rgba(70,110,170,0.45)";
        ctx.lineWidth = 1;
        for (const series of perCpu) {
          ctx.beginPath();
          let pen = false;
          series.forEach((v, k) => {
            if (v === null) { pen = false; return; }
            const x = u.valToPos(times[k], "x", true), y = u.valToPos(v, "y", true);
            if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
            pen = true;
          });
          ctx.stroke();
        }
        ctx.restore();
      }],
      draw: [(u) => { ui.markers = drawMarkers(u); }],
    },
  }, [times, busiest, mean, least]);
  u.over.addEventListener("click", (event) => {  // a click near a marker picks that change
    const x = event.clientX - u.over.getBoundingClientRect().left + u.bbox.left / (window.devicePixelRatio || 1);
    const near = ui.markers.map((m, k) => [Math.abs(m.x - x), k]).sort((a, b) => a[0] - b[0])[0];
    if (near && near[0] < 8) chooseChange(groups, near[1]).catch(report);
  });
  state.truncated = changes.truncated;
  listChanges(groups);
  redrawMarked();
}

function drawMarkers(u) {  // each change of state.groups: a line across the plot and a ▼
  const ctx = u.ctx, dpr = window.devicePixelRatio || 1;
  ctx.save();
  const drawn = state.groups.map((g, k) => {
    const x = u.valToPos(g.start, "x", true);
    ctx.strokeStyle = g.start === state.chosen ? "#d90" : "rgba(200,120,0,0.8)";
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.fillStyle = ctx.strokeStyle;
    ctx.beginPath();
    ctx.moveTo(x - 6 * dpr, u.bbox.top);
    ctx.lineTo(x + 6 * dpr, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + 10 * dpr);
    ctx.fill();
    return {time: g.start, count: g.changes.length, who: g.who, reason: g.why, x: x / dpr};
  });
  ctx.restore();
  return drawn;
}

function redrawMarked() {  // the charts that mark the changes, once these are known
  for (const id of ["history", ...USAGE]) if (state.charts[id]) state.charts[id].redraw(false);
}

function moved(g) {  // "3 IRQs", or "1 IRQ, 23 writes" when some IRQ was written again
  const irqs = new Set(g.changes.map((c) => c.irq)).size;
  const writes = g.changes.length;
  return `${irqs} IRQ${irqs > 1 ? "s" : ""}${writes > irqs ? `, ${writes} writes` : ""}`;
}

function listChanges(groups) {
  const list = $("markers");
  list.textContent = "";
  if (!groups.length) {
    const li = document.createElement("li");
    li.className = "hint";
    li.textContent = "No affinity change in this window.";
    list.append(li);
  }
  if (state.truncated) {
    const li = document.createElement("li");
    li.className = "hint";
    li.textContent = "Only the newest 10,000 writes of this window are shown.";
    list.append(li);
  }
  groups.slice().reverse().forEach((g) => {
    const k = groups.indexOf(g);
    const li = document.createElement("li"), button = document.createElement("button");
    button.className = "marker" + (g.start === state.chosen ? " selected" : "");
    button.textContent = `▼ ${utc(g.start)} · ${moved(g)} · ${g.who}${g.why ? " · " + g.why : ""}`;
    button.addEventListener("click", () => chooseChange(groups, k).catch(report));
    li.append(button);
    list.append(li);
  });
}

function imbalance(w) {  // busiest CPU / mean of a window, and which CPU
  const counts = w.num_interrupts_per_cpu;
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const top = Math.max(...counts);
  return {ratio: top / (total / counts.length), cpu: w.cpus[counts.indexOf(top)]};
}

async function chooseChange(groups, k) {
  state.chosen = groups[k].start;
  const g = groups[k];
  const now = Date.now() / 1000;
  const settle = state.interval;  // the sample after the last write holds only what followed
  const kept = await api("/history");
  const oldest = kept.oldest ? epoch(kept.oldest) : g.start;
  const previous = k > 0 ? groups[k - 1].end : oldest;
  const next = k + 1 < groups.length ? groups[k + 1].start : now;
  // equal windows on both sides, as long as neither reaches another change or the edges
  const span = Math.min(EFFECT_SECONDS, g.start - Math.max(previous, oldest),
                        Math.min(next, epoch(kept.newest || g.end)) - (g.end + settle));
  const box = $("change-detail");
  box.textContent = "";
  const dl = document.createElement("dl");
  for (const [key, value] of [["when", utc(g.start, true)], ["who", g.who],
                              ["why", g.why || "—"], ["moved", moved(g)]]) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = key;
    dd.textContent = String(value);
    dl.append(dt, dd);
  }
  box.append(dl);
  const effect = document.createElement("p");
  effect.className = "effect";
  ui.effect = null;
  if (span >= 2 * state.interval) {
    const [before, after] = await Promise.all([
      api(`/interrupts?start=${(g.start - span).toFixed(3)}&end=${g.start.toFixed(3)}`),
      api(`/interrupts?start=${(g.end + settle).toFixed(3)}&end=${(g.end + settle + span).toFixed(3)}`)]);
    const a = imbalance(before), b = imbalance(after);
    if (a && b) {
      ui.effect = {before: a.ratio, after: b.ratio, seconds: span,
                   spans: [[before.start, before.end], [after.start, after.end]]};
      effect.append("busiest CPU ÷ mean: ");
      const was = document.createElement("b"), now_ = document.createElement("b");
      was.textContent = `${a.ratio.toFixed(2)} (CPU ${a.cpu})`;
      now_.textContent = `${b.ratio.toFixed(2)} (CPU ${b.cpu})`;
      now_.className = b.ratio < a.ratio ? "better" : b.ratio > a.ratio ? "worse" : "";
      effect.append(was, " before → ", now_, ` after, over ${Math.round(span)} s each`);
    }
  }
  if (!ui.effect) effect.textContent = "busiest CPU ÷ mean: not enough history on both sides yet";
  box.append(effect);
  const table = document.createElement("table");
  const head = table.insertRow();
  const reasons = g.changes.some((c) => (c.reason || "") !== (g.why || ""));
  for (const h of ["IRQ", "old CPUs", "new CPUs", ...(reasons ? ["reason"] : [])]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.append(th);
  }
  for (const c of g.changes.slice(0, SHOWN_MOVES)) {
    const row = table.insertRow();
    const detail = (c.reason || "—").slice(g.why && c.reason.startsWith(g.why + ": ") ? g.why.length + 2 : 0);
    for (const v of [c.irq, list(c.old.cpu_affinity_list), list(c.new.cpu_affinity_list),
                     ...(reasons ? [detail] : [])]) {
      row.insertCell().textContent = String(v);
    }
  }
  box.append(table);
  if (g.changes.length > SHOWN_MOVES) box.append(`… and ${g.changes.length - SHOWN_MOVES} more`);
  listChanges(groups);
  redrawMarked();
}

async function newChanges() {  // between the slow refreshes: a new write redraws the history
  const found = await api(`/affinity/changes?period_seconds=${REFRESH_MS / 1000 + 60}&limit=1`);
  const last = found.changes.length ? found.changes[found.changes.length - 1].id : 0;
  if (last > state.lastChange) await drawHistory();
}

// ---- usage -------------------------------------------------------------------------------
async function drawUsage() {
  const q = `period_seconds=${$("window").value}&points=60`;
  const [cpu, memory, storage] = await Promise.all(
    [api(`/cpu?${q}`), api(`/memory?${q}`), api(`/storage?${q}`)]);
  const pct = (label, colour) => ({label, stroke: colour, width: 1.5, fill: colour + "22",
                                   points: {show: false},
                                   value: (u, v) => (v === null ? "—" : v.toFixed(1) + " %")});
  const opts = (label, end) => ({
    height: 170, tzDate: utcDate, scales: {
      x: {time: true, range: (u, lo, hi) => [Math.min(lo, hi - 60), hi]},  // a minute at least
      y: {range: [0, 100]}},
    axes: [timeAxis(end, 45), {label, labelSize: 18, size: 44, values: (u, s) => s.map((v) => v + "%")}]});
  const times = (points) => points.map((p) => epoch(p.taken_at));
  const line = (id, points, value, label, colour) => {
    if (points.length < 2) { $(id).textContent = "no history yet"; return; }
    const at = times(points);
    chart(id, {...opts("% used", at[at.length - 1]), series: [timeSeries, pct(label, colour)],
               hooks: {draw: [drawMarkers]}},
          [at, points.map(value)]);
  };
  line("cpu", cpu, (p) => p.usage, "CPU busy", "#1f4e8c");
  line("memory", memory, (p) => 100 * p.used_space / (p.total || 1), "memory used", "#7a3");
  line("storage", storage, (p) => 100 * p.used_space / (p.size || 1), "/ used", "#a63");
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
  const row = state.heat && state.heat.data.irqs.find((i) => i.irq_num === irq);
  $("details").innerHTML = "<h2>IRQ details</h2><dl></dl>";
  const dl = $("details").querySelector("dl");
  const cost = row && row.cost_us_per_interrupt !== null && row.cost_us_per_interrupt !== undefined
    ? `${row.cost_us_per_interrupt.toFixed(2)} µs per interrupt (${row.cost_source})` : "not known";
  for (const [k, v] of [["IRQ", d.irq_num], ["device", d.device_name], ["chip", d.chip],
                        ["trigger", d.trigger], ["affinity", list(d.cpu_affinity_list)],
                        ["effective", list(d.effective_affinity_list)],
                        ["node", d.node ?? "—"], ["hint", list(d.affinity_hint)],
                        ["managed", d.managed === null ? "unknown" : d.managed ? "yes" : "no"],
                        ["total", d.total], ["cost", cost]]) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = String(v ?? "—");
    dl.append(dt, dd);
  }
}

function describeCost(cost) {
  if (!cost) return "";
  const by = Object.entries(cost.sources || {}).filter(([, n]) => n > 0)
    .map(([source, n]) => `${source} ${n}`).join(", ");
  return `Cost of each IRQ's interrupts: ${by || "none known"}` +
         (cost.note ? ` — ${cost.note}` : "");
}

// ---- refresh loops -----------------------------------------------------------------------
async function refresh() {
  const timing = {ms: 0};
  const top = Math.max(5, Math.min(500, Math.round(Number($("top").value)) || 50));
  if (String(top) !== $("top").value) $("top").value = top;  // what is shown, not what was typed
  ui.mode = $("mode").value;
  // in time mode the busiest by time: fetch more rows than shown, keep the costliest
  const ask = ui.mode === "time" ? Math.min(2000, 4 * top) : top;
  const [irqs, perCpu] = await Promise.all([
    api(`/interrupts/irqs?period_seconds=${RATE_PERIOD}&top=${ask}`, timing),
    api(`/interrupts?period_seconds=${RATE_PERIOD}`, timing)]);
  if (ui.mode === "time") {
    irqs.irqs.sort((a, b) => (b.cpu_seconds ?? -1) - (a.cpu_seconds ?? -1));
    irqs.irqs = irqs.irqs.slice(0, top);
  }
  const started = performance.now();
  $("heatmap-title").textContent = MODES[ui.mode].title;
  $("heatmap-order").textContent = MODES[ui.mode].order;
  $("cost").textContent = describeCost(irqs.cost);
  drawHeatmap(irqs, perCpu);
  drawBars(perCpu);
  timing.ms += performance.now() - started;
  ui.refreshMainMs.push(timing.ms);
  if (ui.firstPaintMs === null) ui.firstPaintMs = performance.now();
  $("status").textContent = `updated ${utc(Date.now() / 1000)}`;
  // names and managed marks of rows not seen before: fetched after the paint, then redrawn
  const missing = irqs.irqs.map((i) => i.irq_num).filter((i) => !state.details.has(i));
  if (missing.length) {
    await Promise.all(missing.map((i) => details(i).catch(() => null)));
    drawHeatmap(irqs, perCpu);
  }
}

function report(error) {
  if (error instanceof AuthNeeded) return;
  ui.errors.push(String(error));
  $("status").textContent = String(error);
}

const slow = () => Promise.all([drawHistory(), drawUsage()]).catch(report);

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
    state.timer = setInterval(() => refresh().then(newChanges).catch(report), REFRESH_MS);
    slow();
    state.slowTimer = setInterval(slow, SLOW_REFRESH_MS);
  } catch (error) {
    report(error);
  }
}

$("window").addEventListener("change", slow);
$("top").addEventListener("change", () => refresh().catch(report));
$("mode").addEventListener("change", () => refresh().catch(report));
let resizing = null;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => { refresh().catch(report); slow(); }, 200);
});
$("rate-period").textContent = RATE_PERIOD;
start();
