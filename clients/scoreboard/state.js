// The scoreboard's state, without I/O: protocol messages in, per-stream state out.
//
// new Board() holds one StreamState per stream id. board.apply(message)
// takes one parsed server message (docs/protocol.md, version 1) and returns
// the id of the stream it changed (null when none), so that the view
// redraws only that tile. A `hello` clears everything: the subscribe that
// follows asks for `history`, which replays the kept events, so a
// reconnection rebuilds the board without duplicates.

export const HISTORY_ROWS = 200; // skills kept per stream (history table, timeline); the server keeps 500 events
const TOP_N = 3;
const STATES = new Set(["live", "reconnecting", "ended", "failed"]);

// "back_walkover" -> "Back walkover".
export function prettyLabel(label) {
  const text = String(label).replaceAll("_", " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export class StreamState {
  constructor(id) {
    this.id = id;
    this.source = "";
    this.state = "waiting"; // waiting | live | reconnecting | ended | failed
    this.endReason = "";
    this.width = 0; // frame size from stream_start (0: unknown, use extent())
    this.height = 0;
    this.inProgress = null; // {start_frame, start_ts} of the open segment
    this.skills = []; // skill events with is_skill, oldest first, at most HISTORY_ROWS
    this.rejected = 0; // segments that closed without a skill
    this.counts = new Map(); // label -> skills recognised this session
    this.health = null; // the last `status` message
    this.latencyMs = null; // from the last skill event
    this.pose = null; // the last `pose` message not yet drawn
    this.lastTs = 0; // the latest stream time seen (timeline length)
  }

  get lastSkill() {
    return this.skills.length ? this.skills[this.skills.length - 1] : null;
  }

  seeTs(ts) {
    if (Number.isFinite(ts) && ts > this.lastTs) this.lastTs = ts;
  }
}

export class Board {
  constructor() {
    this.streams = new Map();
    this.protocol = null;
  }

  stream(id) {
    let s = this.streams.get(id);
    if (!s) {
      s = new StreamState(id);
      this.streams.set(id, s);
    }
    return s;
  }

  // Apply one server message; returns the stream id it changed, "*" when
  // the whole board changed, or null.
  apply(m) {
    switch (m.type) {
      case "hello":
        this.streams.clear();
        this.protocol = m.protocol;
        for (const info of m.streams) this.describe(this.stream(info.id), info);
        return "*";
      case "stream_added":
        this.describe(this.stream(m.stream), m);
        return m.stream;
      case "stream_removed":
        this.streams.delete(m.stream);
        return "*";
      default:
        break;
    }
    if (!m.stream) return null;
    const s = this.stream(m.stream);
    switch (m.type) {
      case "stream_start":
        s.source = m.source;
        s.width = m.width || 0;
        s.height = m.height || 0;
        s.state = "live";
        return s.id;
      case "segment_start":
        s.inProgress = { start_frame: m.start_frame, start_ts: m.start_ts };
        s.seeTs(m.start_ts);
        return s.id;
      case "skill":
        this.closeSegment(s, m);
        s.latencyMs = m.latency_ms;
        s.seeTs(m.end_ts);
        if (!m.is_skill) {
          s.rejected += 1;
          return s.id;
        }
        s.skills.push(m);
        if (s.skills.length > HISTORY_ROWS) s.skills.shift();
        s.counts.set(m.label, (s.counts.get(m.label) || 0) + 1);
        return s.id;
      case "segment_end":
        this.closeSegment(s, m);
        if (m.outcome === "no_skill") s.rejected += 1;
        s.seeTs(m.end_ts);
        return s.id;
      case "pose":
        s.pose = m;
        s.seeTs(m.ts);
        return s.id;
      case "status":
        s.health = m;
        if (s.state !== "ended" && s.state !== "failed") s.state = m.state;
        return s.id;
      case "stream_end":
        s.state = m.reason === "failed" ? "failed" : "ended";
        s.endReason = m.message || m.reason;
        s.inProgress = null;
        return s.id;
      default:
        return null;
    }
  }

  describe(s, info) {
    s.source = info.source || s.source;
    s.state = STATES.has(info.state) ? info.state : "waiting";
  }

  closeSegment(s, m) {
    if (s.inProgress && s.inProgress.start_frame === m.start_frame) s.inProgress = null;
  }
}

// The 3 best of a skill event, as [[label, p], ...].
export function topOf(skill) {
  return (skill.top || []).slice(0, TOP_N);
}
