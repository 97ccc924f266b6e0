// The live scoreboard: one tile per stream, fed by the websocket protocol.
//
// Messages go into the I/O-free Board (state.js); the view redraws the tiles
// that changed once per animation frame (a pose only the tile's skeleton). For tests and kiosks the page also
// says what it shows in plain data: each tile carries data-stream,
// data-state, data-last-skill and data-skills; history rows carry
// data-label; window.scoreboard has the connection state, the reconnection
// count, and per stream the labels shown and the pose frames drawn.

import { prettyLabel } from "../common/labels.js";
import { drawSkeleton, extent } from "../common/skeleton.js";
import { ServerSocket } from "../common/socket.js";
import { Board, HISTORY_ROWS, topOf } from "./state.js";

const SUBSCRIBE = {
  type: "subscribe", streams: ["*"], topics: ["skill", "segment", "pose", "status"], pose_fps: 10, history: true,
};
const PROTOCOL = 1;
const HISTORY_SHOWN = 30; // rows in a tile's history table (the timeline shows all kept)
const STATE_TEXT = {
  waiting: "waiting", live: "live", reconnecting: "reconnecting", ended: "ended", failed: "failed",
};
const CONNECTION_TEXT = {
  connecting: "connecting...", connected: "connected", disconnected: "disconnected, reconnecting...",
};

const board = new Board();
const tiles = new Map(); // stream id -> {root, parts, stream: the StreamState it shows}
const dirty = new Set(); // streams whose tile is redrawn
const posed = new Set(); // streams with a new pose only (their skeleton is redrawn)
let wholeBoardDirty = true;
let frameRequested = false;

const grid = document.getElementById("streams");
const empty = document.getElementById("empty");
const connection = document.getElementById("connection");
const protocolWarning = document.getElementById("protocol");

// What the page shows, for tests and for whoever embeds it.
const exposed = {
  connection: "connecting",
  reconnects: 0, // connections after the first one
  streams: () => [...board.streams.keys()],
  labels: (id) => (board.streams.get(id)?.skills || []).map((s) => s.label),
  poseFramesDrawn: {}, // stream id -> frames drawn (kept across reconnections)
  messages: 0,
};
window.scoreboard = exposed;

// A stable colour per skill label (timeline marks, counts).
function labelColour(label) {
  let h = 0;
  for (const ch of label) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360} 80% 66%)`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatClock(serverTime) {
  return new Date(serverTime * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

function percent(p) {
  return `${(100 * p).toFixed(p >= 0.995 ? 0 : 1)}%`;
}

function number(value, digits, unit = "") {
  return Number.isFinite(value) ? `${value.toFixed(digits)}${unit}` : "–";
}

function createTile(id, s) {
  const root = el("article", "tile");
  root.dataset.stream = id;
  const head = el("header", "tile-head");
  const name = el("h2", "name", id);
  const state = el("span", "badge state");
  const progress = el("span", "badge progress", "skill in progress");
  head.append(name, state, progress);

  const main = el("div", "tile-main");
  const last = el("section", "last");
  const lastLabel = el("div", "last-label", "—");
  const lastMeta = el("div", "last-meta");
  const top = el("ol", "top");
  const health = el("dl", "health");
  last.append(el("div", "caption", "last skill"), lastLabel, lastMeta, top, health);
  const canvas = el("canvas", "pose");
  canvas.width = 480;
  canvas.height = 270;
  main.append(last, canvas);

  const timeline = el("div", "timeline");
  const counts = el("ul", "counts");
  const span = el("span", "span");
  const spanCaption = el("div", "caption", "routine ");
  spanCaption.append(span);
  const history = el("table", "history");
  history.createTHead().append(rowOf("th", ["time", "skill", "conf.", "duration"]));
  const historyBody = history.createTBody();
  const summary = el("section", "summary");
  summary.append(spanCaption, timeline, counts);
  root.append(head, main, summary, history);
  return {
    root, state, progress, lastLabel, lastMeta, top, canvas, ctx: canvas.getContext("2d"),
    span, timeline, counts, health, historyBody, stream: s, drawnVersion: -1,
  };
}

function rowOf(cellTag, texts) {
  const row = document.createElement("tr");
  for (const text of texts) row.append(el(cellTag, "", text));
  return row;
}

function renderTile(tile, s) {
  const { root } = tile;
  root.dataset.state = s.state;
  root.dataset.skills = String(s.skills.length);
  tile.state.textContent = STATE_TEXT[s.state] || s.state;
  tile.state.className = `badge state ${s.state}`;
  tile.state.title = s.endReason || s.source;
  tile.progress.hidden = !s.inProgress;

  const last = s.lastSkill;
  root.dataset.lastSkill = last ? last.label : "";
  if (tile.drawnVersion !== s.version || !last) renderSkills(tile, s, last);
  renderTimeline(tile, s);
  renderHealth(tile, s);
}

function renderSkills(tile, s, last) {
  tile.drawnVersion = s.version;
  tile.lastLabel.textContent = last ? prettyLabel(last.label) : "—";
  tile.lastLabel.style.color = last ? labelColour(last.label) : "";
  tile.lastMeta.textContent = last
    ? `${percent(last.confidence)} · ${formatClock(last.server_time)} · ${(last.end_ts - last.start_ts).toFixed(1)} s`
    : "no skill yet";
  tile.top.replaceChildren(...(last ? topOf(last) : []).map(([label, p]) => {
    const item = el("li");
    const bar = el("span", "bar");
    bar.style.width = `${Math.max(1, 100 * p)}%`;
    item.append(el("span", "top-label", prettyLabel(label)), el("span", "top-p", percent(p)), bar);
    return item;
  }));

  const rows = s.skills.slice(-HISTORY_SHOWN).reverse().map((k) => {
    const row = rowOf("td", [formatClock(k.server_time), prettyLabel(k.label), percent(k.confidence),
      `${(k.end_ts - k.start_ts).toFixed(1)} s`]);
    row.dataset.label = k.label;
    row.cells[1].style.color = labelColour(k.label);
    return row;
  });
  tile.historyBody.replaceChildren(...rows);

  const counted = [...s.counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  tile.counts.replaceChildren(...counted.map(([label, n]) => {
    const item = el("li");
    item.style.borderColor = labelColour(label);
    item.append(el("span", "", prettyLabel(label)), el("b", "", `×${n}`));
    return item;
  }));
  if (s.rejected) tile.counts.append(el("li", "rejected", `not a skill ×${s.rejected}`));
}

function renderTimeline(tile, s) {
  // The stream's time axis from its first kept skill (or 0) to now.
  const first = s.skills.length === HISTORY_ROWS ? s.skills[0].start_ts : 0;
  const span = Math.max(s.lastTs - first, 1);
  const marks = s.skills.map((k) => {
    const mark = el("span", "mark");
    mark.style.left = `${(100 * (k.start_ts - first)) / span}%`;
    mark.style.width = `${(100 * (k.end_ts - k.start_ts)) / span}%`;
    mark.style.background = labelColour(k.label);
    mark.title = `${prettyLabel(k.label)} ${k.start_ts.toFixed(1)}–${k.end_ts.toFixed(1)} s`;
    return mark;
  });
  if (s.inProgress) {
    const mark = el("span", "mark open");
    mark.style.left = `${(100 * (s.inProgress.start_ts - first)) / span}%`;
    mark.style.right = "0";
    marks.push(mark);
  }
  tile.timeline.replaceChildren(...marks);
  tile.span.textContent = `· ${first.toFixed(0)}–${s.lastTs.toFixed(0)} s`;
}

function renderHealth(tile, s) {
  const h = s.health;
  const items = [
    ["fps in", number(h?.fps_in, 1)],
    ["processed", number(h?.fps_processed, 1)],
    ["pose", number(h?.pose_ms, 1, " ms")],
    ["latency", number(s.latencyMs, 1, " ms")],
    ["dropped", h ? String(h.frames_dropped) : "–"],
  ];
  tile.health.replaceChildren(...items.flatMap(([name, value]) => {
    const box = el("div");
    box.append(el("dt", "", name), el("dd", "", value));
    return [box];
  }));
}

function drawPose(tile, s) {
  const pose = s.pose;
  s.pose = null;
  const [w, h] = s.width && s.height ? [s.width, s.height] : extent(pose.keypoints);
  drawSkeleton(tile.ctx, pose.keypoints, w, h);
  exposed.poseFramesDrawn[s.id] = (exposed.poseFramesDrawn[s.id] || 0) + 1;
}

// The tile of stream `id`, new when the board has a new StreamState for it
// (it started again after ending: nothing of the old tile may stay).
function tileOf(id, s) {
  const old = tiles.get(id);
  if (old && old.stream === s) return old;
  const tile = createTile(id, s);
  if (old) old.root.replaceWith(tile.root);
  else grid.append(tile.root);
  tiles.set(id, tile);
  return tile;
}

function render() {
  frameRequested = false;
  // Streams the board dropped (removed, or ended long ago) lose their tiles.
  for (const [id, tile] of tiles) {
    if (!board.streams.has(id)) {
      tile.root.remove();
      tiles.delete(id);
    }
  }
  if (wholeBoardDirty) {
    wholeBoardDirty = false;
    for (const [id, tile] of tiles) { // rebuilt from the history replay, in the same tile
      tile.stream = board.streams.get(id);
      tile.drawnVersion = -1;
    }
    for (const id of board.streams.keys()) dirty.add(id);
  }
  for (const id of posed) if (!tiles.has(id)) dirty.add(id); // a stream's first message may be a pose
  for (const id of dirty) {
    const s = board.streams.get(id);
    if (s) renderTile(tileOf(id, s), s);
  }
  for (const id of new Set([...dirty, ...posed])) {
    const s = board.streams.get(id);
    const tile = tiles.get(id);
    if (s?.pose && tile) drawPose(tile, s);
  }
  dirty.clear();
  posed.clear();
  empty.hidden = tiles.size > 0;
}

function onMessage(message) {
  exposed.messages += 1;
  if (message.type === "hello" && message.protocol !== PROTOCOL) {
    protocolWarning.hidden = false;
    protocolWarning.textContent = `server speaks protocol ${message.protocol}, this page ${PROTOCOL}`;
  }
  const changed = board.apply(message);
  if (changed === null) return;
  if (changed === "*") wholeBoardDirty = true;
  else if (message.type === "pose") posed.add(changed);
  else dirty.add(changed);
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(render);
  }
}

let connectedBefore = false;
function onState(state) {
  if (state === "connected") {
    if (connectedBefore) exposed.reconnects += 1;
    connectedBefore = true;
  }
  exposed.connection = state;
  connection.dataset.state = state;
  connection.querySelector(".text").textContent = CONNECTION_TEXT[state] || state;
}

new ServerSocket({ onMessage, onState, subscribe: () => SUBSCRIBE });
