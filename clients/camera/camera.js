// The camera page: sends this device's camera to the skillstream server over
// WebRTC and shows what the server makes of it (skeleton overlay, skills,
// frame rate).
//
// Protocol (docs/protocol.md): after ICE gathering has finished the page
// sends the complete offer, {"type": "webrtc_offer", "id", "sdp", "token"},
// and applies the {"type": "webrtc_answer", "sdp"} it gets back; the stream
// then runs through the server's pipeline like any other, and the page
// subscribes to it (pose, skill, segment, status). {"type": "webrtc_close"}
// ends it; so does closing the peer connection or the websocket, which is why
// a dropped websocket means a new offer once it is back (the server ended the
// old stream when the connection went).
//
// For tests and diagnostics `window.camera` holds counters (see `stats`).

import { prettyLabel } from "/common/labels.js";
import { drawSkeleton } from "/common/skeleton.js";
import { ServerSocket } from "/common/socket.js";

// As the server's config/schema.py STREAM_ID_PATTERN.
const STREAM_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
// Errors that answer our offer: the stream cannot run, so stop trying (but see
// onOfferError: stream_exists answering a re-offer means the old stream is not gone yet).
const OFFER_ERRORS = new Set(["bad_offer", "stream_exists", "forbidden", "too_many_streams", "bad_message"]);
const SKILLS_SHOWN = 8;
const DELAYS_KEPT = 600; // pose delays kept for the median (a bounded window)
const RENEGOTIATE_MS = 1000; // wait before a new offer after the peer connection failed
const RETRY_MAX_MS = 10000; // longest wait between re-offers answered with stream_exists

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("controls"), streamId: $("stream-id"), token: $("token"), start: $("start"), stop: $("stop"),
  message: $("message"), wsState: $("ws-state"), pcState: $("pc-state"), fps: $("fps"),
  video: $("preview"), overlay: $("overlay"), placeholder: $("placeholder"),
  lastSkill: $("last-skill"), lastConfidence: $("last-confidence"), segment: $("segment"), skillList: $("skill-list"),
  detail: $("detail"),
};
const overlay = ui.overlay.getContext("2d");

// What the page has seen of its own stream; read by the browser test.
const stats = {
  wsState: "idle",           // the websocket: idle, connecting, connected, disconnected
  pcState: "idle",           // the peer connection's connectionState (idle before the first offer)
  offers: 0,                 // offers sent
  answers: 0,                // answers applied
  poses: 0,                  // pose messages of our stream
  poses25: 0,                // ... with 25 keypoints of [x, y, confidence]
  delays: [],                // page receive time - pose server_time, seconds (the last DELAYS_KEPT)
  frameDelays: [],           // page receive time - (stream started_at + pose ts), seconds (the last DELAYS_KEPT)
  skills: 0,                 // skill events of our stream
  status: null,              // the last status message of our stream
  streamStarted: null,       // the stream_start message
  streamEnded: null,         // the stream_end message
  errors: [],                // error codes received (the last 20)
  limbsDrawn: 0,             // limbs in the last skeleton drawn
  rtp,                       // async () => the sender's WebRTC statistics (see rtp())
};
window.camera = stats;

let socket = null;     // ServerSocket while the page wants to stream
let media = null;      // MediaStream from getUserMedia
let pc = null;         // RTCPeerConnection of the current offer
let streamId = null;   // the stream this page is sending
let wanted = false;    // the user pressed Start and not Stop
let frame = { width: 0, height: 0, startedAt: null }; // of our stream (stream_start)
let renegotiate = null; // timer of a pending new offer (null when none)
let token = "";        // the token of this session's offers
let offersSent = 0;    // offers sent since Start (the first one may not be retried)
let retryMs = RENEGOTIATE_MS; // the next wait after stream_exists (doubles, reset by an answer)
let endingOwn = false; // we sent webrtc_close ourselves: its stream_end is no reason to stop
let session = 0;       // counts start() and stop(): callbacks of an older session do nothing

function show(text, kind = "info") {
  ui.message.textContent = text;
  ui.message.dataset.kind = kind;
}

function setState(element, key, state) {
  stats[key] = state;
  element.textContent = state;
  element.dataset.state = state;
}

function pushBounded(list, value, limit) {
  list.push(value);
  if (list.length > limit) list.splice(0, list.length - limit);
}

ui.streamId.addEventListener("input", () => {
  ui.streamId.setCustomValidity(STREAM_ID.test(ui.streamId.value) ? ""
    : "1 to 64 letters, digits, _ . - (the first a letter or digit)");
});

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!ui.form.reportValidity()) return;
  start(ui.streamId.value, ui.token.value).catch((error) => show(`cannot start: ${error.message}`, "error"));
});
ui.stop.addEventListener("click", () => { stop(); show("stopped"); });
// Closing or leaving the tab: tell the server at once (the websocket closing would do too, later).
window.addEventListener("pagehide", stop);
window.addEventListener("beforeunload", stop);
window.addEventListener("resize", fitOverlay);
ui.video.addEventListener("loadedmetadata", fitOverlay);

// Start sending: camera, then websocket; the offer goes out once it is connected.
async function start(id, secret) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error("this page needs a secure origin (https, or http on localhost) for the camera");
  }
  const run = ++session;
  wanted = true;
  streamId = id;
  token = secret;
  offersSent = 0;
  retryMs = RENEGOTIATE_MS;
  endingOwn = false;
  ui.start.disabled = true;
  ui.stop.disabled = false;
  ui.streamId.disabled = ui.token.disabled = true;
  resetStream();
  show("opening the camera…");
  let camera;
  try {
    camera = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: false });
  } catch (error) { // refused, no camera, camera busy
    if (run === session) {
      stop();
      show(`cannot open the camera: ${error.message}`, "error");
    }
    return;
  }
  if (run !== session) { // Stop (or Stop and Start) pressed while the permission prompt was up
    for (const track of camera.getTracks()) track.stop();
    return;
  }
  media = camera;
  ui.video.srcObject = media;
  ui.placeholder.hidden = true;
  show("connecting to the server…");
  // Events of a socket that stop() has let go are ignored (its close is reported after stop()).
  const current = () => session === run;
  socket = new ServerSocket({
    onMessage: (message) => { if (current()) onMessage(message); },
    onState: (state) => { if (current()) onSocketState(state); },
  });
}

// Stop sending: close the stream on the server, the peer connection and the camera.
function stop() {
  session += 1;
  wanted = false;
  cancelOffer();
  if (socket) {
    if (streamId && pc) socket.send({ type: "webrtc_close", id: streamId });
    socket.close();
    socket = null;
  }
  closePeer();
  releaseCamera();
  ui.start.disabled = false;
  ui.stop.disabled = true;
  ui.streamId.disabled = ui.token.disabled = false;
  ui.placeholder.hidden = false;
  setState(ui.wsState, "wsState", "idle");
  overlay.clearRect(0, 0, ui.overlay.width, ui.overlay.height);
  ui.fps.textContent = "–";
  ui.detail.textContent = "";
}

function releaseCamera() {
  if (media) for (const track of media.getTracks()) track.stop();
  media = null;
  ui.video.srcObject = null;
}

function closePeer() {
  if (pc) {
    pc.onconnectionstatechange = null;
    pc.close();
  }
  pc = null;
  setState(ui.pcState, "pcState", "closed");
}

function resetStream() {
  frame = { width: 0, height: 0, startedAt: null };
  stats.streamStarted = stats.streamEnded = stats.status = null;
}

function onSocketState(state) {
  setState(ui.wsState, "wsState", state);
  if (!wanted) return;
  if (state === "connected") {
    offer().catch((error) => show(`offer failed: ${error.message}`, "error"));
  } else if (state === "disconnected") {
    // The server ended the stream with the websocket; a new offer follows the reconnection.
    cancelOffer();
    closePeer();
    show("server connection lost, reconnecting…", "warn");
  }
}

// A new offer in `delay` ms (replacing one already pending), if the page still wants to stream then.
function scheduleOffer(delay) {
  clearTimeout(renegotiate);
  renegotiate = setTimeout(() => {
    renegotiate = null;
    if (wanted && socket) offer().catch((error) => show(`offer failed: ${error.message}`, "error"));
  }, delay);
}

function cancelOffer() {
  clearTimeout(renegotiate);
  renegotiate = null;
}

// A new peer connection with the camera track, its complete offer sent to the server.
async function offer() {
  closePeer();
  resetStream();
  const peer = new RTCPeerConnection();
  pc = peer;
  const [track] = media.getVideoTracks();
  const { sender } = peer.addTransceiver(track, { direction: "sendonly", streams: [media] });
  // A skeleton needs the whole body sharp: under congestion drop frames, not resolution.
  const parameters = sender.getParameters();
  parameters.degradationPreference = "maintain-resolution";
  await sender.setParameters(parameters).catch(() => {}); // not every browser supports it; the default still works
  peer.onconnectionstatechange = () => onPeerState(peer);
  setState(ui.pcState, "pcState", peer.connectionState);
  await peer.setLocalDescription(await peer.createOffer());
  await iceGatheringComplete(peer);
  if (pc !== peer || !socket) return; // stopped or replaced meanwhile
  // Not sent: the websocket is down, and its reconnection makes a new offer.
  if (!socket.send({ type: "webrtc_offer", id: streamId, sdp: peer.localDescription.sdp, ...(token ? { token } : {}) })) return;
  offersSent += 1;
  stats.offers += 1;
  show(`offer sent for stream ${streamId}…`);
}

// The server does not trickle ICE: the offer must carry every candidate.
function iceGatheringComplete(peer) {
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (peer.iceGatheringState !== "complete") return;
      peer.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    peer.addEventListener("icegatheringstatechange", check);
  });
}

function onPeerState(peer) {
  if (peer !== pc) return;
  setState(ui.pcState, "pcState", peer.connectionState);
  if (peer.connectionState === "connected") show(`streaming as ${streamId}`, "ok");
  if (peer.connectionState === "failed" && wanted) {
    // The media path broke (network change): end this stream, offer again.
    if (socket.send({ type: "webrtc_close", id: streamId })) endingOwn = true;
    closePeer();
    show("video connection failed, trying again…", "warn");
    scheduleOffer(RENEGOTIATE_MS);
  }
}

async function onAnswer(message) {
  if (!pc || message.stream !== streamId) return;
  await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
  stats.answers += 1;
  retryMs = RENEGOTIATE_MS;
  // history: the stream_start (frame size) may already be past when the subscription arrives.
  socket.send({ type: "subscribe", streams: [streamId], topics: ["skill", "segment", "pose", "status"], pose_fps: 0, history: true });
}

function onMessage(message) {
  if (message.type === "webrtc_answer") {
    onAnswer(message).catch((error) => show(`bad answer: ${error.message}`, "error"));
    return;
  }
  if (message.type === "error") {
    pushBounded(stats.errors, message.code, 20);
    if (message.code === "stream_exists" && wanted && offersSent > 1) {
      // A re-offer after a reconnection can beat the server to noticing that the
      // old websocket (and with it our old stream) is gone: try again later.
      closePeer();
      show(`stream ${streamId} is still ending on the server, offering again in ${retryMs / 1000} s…`, "warn");
      scheduleOffer(retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    } else if (OFFER_ERRORS.has(message.code)) {
      stop();
      show(`the server refused the stream (${message.code}): ${message.message}`, "error");
    }
    return;
  }
  if (message.stream !== streamId) return;
  switch (message.type) {
    case "stream_start":
      stats.streamStarted = message;
      endingOwn = false; // a new stream: the end of the one we closed is past (or never comes)
      frame = { width: message.width, height: message.height, startedAt: message.started_at };
      break;
    case "pose":
      onPose(message);
      break;
    case "status":
      stats.status = message;
      ui.fps.textContent = message.fps_processed.toFixed(0);
      ui.detail.textContent = `server: ${message.fps_in.toFixed(1)} fps in, ${message.fps_processed.toFixed(1)} processed, `
        + `pose ${message.pose_ms.toFixed(0)} ms, ${message.frames_dropped} frames dropped`;
      break;
    case "segment_start":
      ui.segment.hidden = false;
      break;
    case "segment_end":
      ui.segment.hidden = true;
      break;
    case "skill":
      ui.segment.hidden = true;
      if (message.is_skill) onSkill(message);
      break;
    case "stream_end":
      stats.streamEnded = message;
      if (endingOwn || renegotiate !== null) {
        // The end of the stream we closed ourselves to offer again (or of one a pending re-offer replaces).
        endingOwn = false;
      } else if (wanted && socket && socket.ws && socket.ws.readyState === WebSocket.OPEN) {
        // Ended by the server while we are still connected (removed, failed, shut down): do not fight it.
        stop();
        show(`the server ended the stream (${message.reason}) ${message.message || ""}`, "warn");
      }
      break;
  }
}

function onPose(message) {
  const received = Date.now() / 1000;
  stats.poses += 1;
  const keypoints = message.keypoints;
  if (Array.isArray(keypoints) && keypoints.length === 25 && keypoints.every((p) => p.length === 3)) stats.poses25 += 1;
  pushBounded(stats.delays, received - message.server_time, DELAYS_KEPT);
  if (frame.startedAt !== null) pushBounded(stats.frameDelays, received - (frame.startedAt + message.ts), DELAYS_KEPT);
  const width = frame.width || ui.video.videoWidth;
  const height = frame.height || ui.video.videoHeight;
  stats.limbsDrawn = drawSkeleton(overlay, keypoints, width, height);
}

function onSkill(message) {
  stats.skills += 1;
  const label = prettyLabel(message.label);
  ui.lastSkill.textContent = label;
  ui.lastSkill.classList.remove("idle");
  ui.lastConfidence.textContent = `${Math.round(message.confidence * 100)}%`;
  const item = document.createElement("li");
  const time = new Date(message.server_time * 1000).toLocaleTimeString();
  item.innerHTML = "<span></span><span></span><time></time>";
  item.children[0].textContent = label;
  item.children[1].textContent = `${Math.round(message.confidence * 100)}%`;
  item.children[2].textContent = time;
  ui.skillList.prepend(item);
  while (ui.skillList.children.length > SKILLS_SHOWN) ui.skillList.lastChild.remove();
}

// The sender's side of the delay and the picture sent, from getStats(): frames
// sent and their size, mean encode time (ms) and the round trip to the
// server (ms, from the ICE pair in use); null before an offer.
async function rtp() {
  if (!pc) return null;
  const result = { framesSent: 0, frameWidth: 0, frameHeight: 0, encodeMs: null, roundTripMs: null };
  const pairs = [];
  for (const report of (await pc.getStats()).values()) {
    if (report.type === "outbound-rtp" && report.kind === "video") {
      result.framesSent = report.framesSent ?? 0;
      result.frameWidth = report.frameWidth ?? 0;
      result.frameHeight = report.frameHeight ?? 0;
      if (report.framesEncoded) result.encodeMs = (1000 * report.totalEncodeTime) / report.framesEncoded;
    } else if (report.type === "candidate-pair" && report.nominated && report.currentRoundTripTime !== undefined) {
      pairs.push(report.currentRoundTripTime * 1000);
    }
  }
  if (pairs.length) result.roundTripMs = Math.min(...pairs);
  return result;
}

// The overlay canvas covers the video's box at device resolution; drawSkeleton
// fits the frame into it as the video's object-fit: contain does.
function fitOverlay() {
  const box = ui.video.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  ui.overlay.width = Math.round(box.width * ratio);
  ui.overlay.height = Math.round(box.height * ratio);
}
fitOverlay();
