// The scoreboard's state, without I/O: protocol messages in, per-stream state out.
//
// new Board() holds one StreamState per stream id. board.apply(message)
// takes one parsed server message (docs/protocol.md, version 1) and returns
// the id of the stream it changed (null when none), so that the view
// redraws only that tile. A `hello` clears everything: the subscribe that
// follows asks for `history`, which replays the kept events, so a
// reconnection rebuilds the board without duplicates. A stream that starts
// again under the id of an ended one gets a new StreamState (the server
// dropped the old history), and at most ENDED_KEPT ended or failed streams
// are kept (the oldest ended go), so a board left running does not grow.

export const HISTORY_ROWS = 200; // skills kept per stream (history table, timeline); the server keeps 500 events
export const ENDED_KEPT = 16; // ended or failed streams kept on the board
const TOP_N = 3;
const STATES = new Set(["live", "reconnecting", "ended", "failed"]);

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
    this.version = 0; // bumped on every skill and segment_end: the skills, counts and rejects changed
    this.endedSeq = 0; // when it ended, in the board's order of ends (0: not ended)
  }

  get over() {
    return this.state === "ended" || this.state === "failed";
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
    this.ends = 0; // streams seen ending (orders endedSeq)
  }

  // The state of stream `id` for a start: a new one when the kept one is over
  // (it replaces the old in place, so the board's order stays).
  restart(id) {
    const old = this.streams.get(id);
    if (!old || !old.over) return this.stream(id);
    const s = new StreamState(id);
    this.streams.set(id, s);
    return s;
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
        this.dropEnded();
        return "*";
      case "stream_added":
        this.describe(this.restart(m.stream), m);
        this.dropEnded();
        return m.stream;
      case "stream_removed":
        this.streams.delete(m.stream);
        return "*";
      default:
        break;
    }
    if (!m.stream) return null;
    const s = m.type === "stream_start" ? this.restart(m.stream) : this.stream(m.stream);
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
        s.version += 1;
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
        s.version += 1;
        if (m.outcome === "no_skill") s.rejected += 1;
        s.seeTs(m.end_ts);
        return s.id;
      case "pose":
        s.pose = m;
        s.seeTs(m.ts);
        return s.id;
      case "status":
        s.health = m;
        if (!s.over) s.state = m.state;
        return s.id;
      case "stream_end":
        s.state = m.reason === "failed" ? "failed" : "ended";
        s.endReason = m.message || m.reason;
        s.inProgress = null;
        s.endedSeq = ++this.ends;
        this.dropEnded();
        return s.id;
      default:
        return null;
    }
  }

  describe(s, info) {
    s.source = info.source || s.source;
    s.state = STATES.has(info.state) ? info.state : "waiting";
    if (s.over && !s.endedSeq) s.endedSeq = ++this.ends;
  }

  // Forget the oldest ended streams beyond ENDED_KEPT (the view drops their tiles).
  dropEnded() {
    const over = [...this.streams.values()].filter((s) => s.over);
    if (over.length <= ENDED_KEPT) return;
    over.sort((a, b) => a.endedSeq - b.endedSeq);
    for (const s of over.slice(0, over.length - ENDED_KEPT)) this.streams.delete(s.id);
  }

  closeSegment(s, m) {
    if (s.inProgress && s.inProgress.start_frame === m.start_frame) s.inProgress = null;
  }
}

// The 3 best of a skill event, as [[label, p], ...].
export function topOf(skill) {
  return (skill.top || []).slice(0, TOP_N);
}
