// Drives /scoreboard/ in chromium for tests/clients/test_scoreboard.py (JSON lines on stdout/stdin).
//
// node scoreboard.mjs URL STREAM SKILLS SCREENSHOTS_DIR
//   1. opens URL/scoreboard/ at 1920x1080, waits until the tile of STREAM shows
//      at least SKILLS skills and a drawn pose frame, takes the screenshots
//      (scoreboard.png; scoreboard-phone.png at 390x844) and reports {phase: "live", ...};
//   2. on {"command": "stopped"} waits for the page to say disconnected and reports
//      {phase: "disconnected", ...};
//   3. on {"command": "restarted", "state": S} waits for the page to reconnect and
//      the tile of STREAM to show state S, and reports {phase: "reconnected", ...}.
// Every report carries what the page shows of STREAM (see `observe`).

import { chromium } from "playwright-core";

import { command, report, scaledMs } from "./driver.mjs";

const [url, stream, skillsWanted, screenshots] = process.argv.slice(2);
const TIMEOUT_MS = scaledMs(40000);


// What the page shows of one stream: the tile's data attributes and texts, the
// history rows oldest first, the page's own bookkeeping, and how many pixels of
// the skeleton canvas are painted.
function observe(id) {
  const tile = document.querySelector(`.tile[data-stream="${CSS.escape(id)}"]`);
  const connection = document.getElementById("connection");
  const page = {
    connection: connection.dataset.state,
    connectionText: connection.textContent.trim(),
    reconnects: window.scoreboard.reconnects,
    streams: window.scoreboard.streams(),
    scrollWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
  };
  if (!tile) return { ...page, tile: null };
  const canvas = tile.querySelector("canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return {
    ...page,
    tile: {
      state: tile.dataset.state,
      stateText: tile.querySelector(".state").textContent,
      lastSkill: tile.dataset.lastSkill,
      lastSkillText: tile.querySelector(".last-label").textContent,
      historyLabels: [...tile.querySelectorAll(".history tbody tr")].map((row) => row.dataset.label).reverse(),
      counts: [...tile.querySelectorAll(".counts li")].map((item) => item.textContent),
      timelineMarks: tile.querySelectorAll(".timeline .mark:not(.open)").length,
      labels: window.scoreboard.labels(id),
      poseFramesDrawn: window.scoreboard.poseFramesDrawn[id] || 0,
      paintedPixels: painted,
      width: tile.getBoundingClientRect().width,
    },
  };
}

const browser = await chromium.launch({
  executablePath: process.env.SKILLSTREAM_CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const pageErrors = [];
  const consoleErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (message) => { if (message.type() === "error") consoleErrors.push(message.text()); });
  page.setDefaultTimeout(TIMEOUT_MS);
  await page.goto(`${url}/scoreboard/`);

  await page.waitForFunction(([id, n]) => {
    const tile = document.querySelector(`.tile[data-stream="${CSS.escape(id)}"]`);
    return tile && Number(tile.dataset.skills) >= n && (window.scoreboard.poseFramesDrawn[id] || 0) > 0;
  }, [stream, Number(skillsWanted)], { polling: 100 });
  const live = await page.evaluate(observe, stream);
  await page.screenshot({ path: `${screenshots}/scoreboard.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300); // the next animation frame lays the tiles out again
  const phone = await page.evaluate(observe, stream);
  await page.screenshot({ path: `${screenshots}/scoreboard-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1920, height: 1080 });
  report({ phase: "live", ...live, phone, pageErrors, consoleErrors: [...consoleErrors] });

  await command("stopped");
  await page.waitForFunction(() => window.scoreboard.connection === "disconnected", null, { polling: 50 });
  report({ phase: "disconnected", ...(await page.evaluate(observe, stream)) });

  const { state } = await command("restarted");
  await page.waitForFunction(([id, wanted]) => {
    const tile = document.querySelector(`.tile[data-stream="${CSS.escape(id)}"]`);
    return window.scoreboard.reconnects >= 1 && window.scoreboard.connection === "connected" && tile
      && tile.dataset.state === wanted;
  }, [stream, state], { polling: 100 });
  await page.waitForTimeout(300); // let anything still arriving land, to catch duplicates
  report({ phase: "reconnected", ...(await page.evaluate(observe, stream)), pageErrors });
} finally {
  await browser.close();
}
