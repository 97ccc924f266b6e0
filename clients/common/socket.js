// A websocket to the skillstream server that reconnects by itself.
//
// new ServerSocket({onMessage, onState, subscribe}) connects to /ws on the
// page's own host, sends `subscribe()` (a function returning the subscribe
// message) on every (re)connection, passes each parsed message to
// onMessage(message) and reports "connecting", "connected" or
// "disconnected" to onState(state). After a drop it retries with back-off
// (0.5 s doubling to 5 s) until close() is called.

export class ServerSocket {
  constructor({ onMessage, onState = () => {}, subscribe = null, url = null }) {
    this.url = url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    this.onMessage = onMessage;
    this.onState = onState;
    this.subscribe = subscribe;
    this.delay = 500;
    this.closed = false;
    this.ws = null;
    this.retry = null; // timer of the pending reconnection
    this.connect();
  }

  connect() {
    this.retry = null;
    if (this.closed) return;
    this.onState("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 500;
      this.onState("connected");
      if (this.subscribe) this.send(this.subscribe());
    };
    ws.onmessage = (event) => this.onMessage(JSON.parse(event.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.onState("disconnected");
      if (this.closed) return;
      this.retry = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  // Close for good: no reconnection follows, not even one already scheduled.
  close() {
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = null;
    if (this.ws) this.ws.close();
  }
}
