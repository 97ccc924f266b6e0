// Drives /camera/ in chromium for tests/clients/test_camera.py (JSON lines on stdout/stdin).
//
// node camera.mjs URL STREAM TOKEN Y4M SCREENSHOT STREAM_SECONDS
//   Chromium's fake camera plays Y4M (in a loop).
//   1. opens URL/camera/, enters STREAM and TOKEN, presses Start, waits for the
//      first skeleton drawn on the page, streams STREAM_SECONDS more, takes the
//      screenshot (and one at phone size beside it, NAME-phone.png) and reports
//      {phase: "streaming", ...} (see below);
//   2. on {"command": "close"} closes the page (unload handlers run) and
//      reports {phase: "closed", closedAt} (seconds since the epoch, just before the close).
// The "streaming" report: offers, answers, poses, poses25, skills, limbsDrawn,
// wsState, pcState, errors (the page's `window.camera`), medianDelayMs (page
// receive - pose server_time), medianFrameDelayMs (page receive - (stream
// started_at + pose ts)), rtp (the sender's statistics), console (the page's
// errors), seconds (since the driver started).

import { chromium } from "playwright-core";

import { command, report, scaledMs } from "./driver.mjs";

const [url, stream, token, y4m, screenshot, streamSeconds] = process.argv.slice(2);
const TIMEOUT_MS = scaledMs(30000);
const started = Date.now();


// The median of `values` (seconds) in milliseconds; null when there are none.
function medianMs(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return 1000 * sorted[Math.floor(sorted.length / 2)];
}

const browser = await chromium.launch({
  executablePath: process.env.SKILLSTREAM_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${y4m}`, "--allow-loopback-in-peer-connection",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${url}/camera/`);
  await page.fill("#stream-id", stream);
  await page.fill("#token", token);
  await page.click("#start");
  await page.waitForFunction(() => window.camera.limbsDrawn > 0, null, { timeout: TIMEOUT_MS });
  await page.waitForTimeout(Number(streamSeconds) * 1000);
  await page.screenshot({ path: screenshot });
  await page.setViewportSize({ width: 390, height: 844 }); // a phone
  await page.waitForTimeout(300); // a few poses drawn at the new size
  await page.screenshot({ path: screenshot.replace(/\.png$/, "-phone.png") });
  const { delays, frameDelays, ...seen } = await page.evaluate(async () => {
    const c = window.camera;
    return {
      offers: c.offers, answers: c.answers, poses: c.poses, poses25: c.poses25, skills: c.skills,
      limbsDrawn: c.limbsDrawn, wsState: c.wsState, pcState: c.pcState, errors: c.errors,
      delays: c.delays, frameDelays: c.frameDelays, rtp: await c.rtp(),
    };
  });
  report({
    phase: "streaming", ...seen, medianDelayMs: medianMs(delays), medianFrameDelayMs: medianMs(frameDelays),
    console: errors, seconds: (Date.now() - started) / 1000,
  });

  await command("close");
  const closedAt = Date.now() / 1000;
  const gone = new Promise((resolve) => page.once("close", resolve));
  await page.close({ runBeforeUnload: true }); // with unload handlers: returns before the page is gone
  await gone;
  report({ phase: "closed", closedAt });
} finally {
  await browser.close();
}
