// A real browser for the console's tests and benchmarks: Debian's chromium, headless, driven
// by playwright-core (never `playwright install`: the browser is the system's).
//
// Commands come on stdin, one JSON object a line; each gets one JSON line on stdout:
// {"ok": true, ...} or {"ok": false, "error": "..."}. The Rust side drives the market between
// commands, so the page is watched while the chain moves.
//
//   {"op":"open","url":"http://127.0.0.1:PORT/market","ignoreHTTPSErrors":false,"clientCertificates":[…]}
//   {"op":"wait_text","selector":"#offer-1 .energy","text":"500 Wh","timeout":15000}
//   {"op":"wait_attr","selector":"#trade-1 progress.seller","attr":"value","value":"100"}
//   {"op":"wait_gone","selector":"#trade-1"}
//   {"op":"text","selector":"…"}          {"op":"eval","expression":"…"}
//   {"op":"same_document"}                 (no reload since open: the marker set at load is there)
//   {"op":"click_download","selector":"…"} (clicks; returns the downloaded file's text)
//   {"op":"paint"}                         (navigation and paint timings of the page)
//   {"op":"screenshot","path":"…"}         {"op":"close"}
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let context = null;
let page = null;
let profile = null;
let loads = 0;

async function closeAll() {
  if (context) await context.close().catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
  context = page = profile = null;
}

async function open(cmd) {
  await closeAll();
  // A fresh profile every time: nothing (certificates, cache) carries over between opens.
  profile = mkdtempSync(join(tmpdir(), "evlock-chromium-"));
  const options = {
    executablePath: process.env.EVLOCK_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    acceptDownloads: true,
    ignoreHTTPSErrors: !!cmd.ignoreHTTPSErrors,
    viewport: { width: 1400, height: 1000 },
  };
  if (cmd.clientCertificates) options.clientCertificates = cmd.clientCertificates;
  context = await chromium.launchPersistentContext(profile, options);
  page = context.pages()[0] || (await context.newPage());
  loads = 0;
  page.on("load", () => { loads += 1; });
  const response = await page.goto(cmd.url, { waitUntil: "load", timeout: cmd.timeout || 15000 });
  await page.evaluate(() => { window.__evlockMarker = "set at load"; });
  return { status: response ? response.status() : null };
}

async function run(cmd) {
  const timeout = cmd.timeout || 15000;
  switch (cmd.op) {
    case "open":
      return open(cmd);
    case "wait_text": {
      const locator = page.locator(cmd.selector).first();
      await locator.waitFor({ state: "attached", timeout });
      await page.waitForFunction(
        ([selector, text]) => {
          const element = document.querySelector(selector);
          return element && element.textContent.includes(text);
        },
        [cmd.selector, cmd.text],
        { timeout },
      );
      return { text: await locator.textContent() };
    }
    case "wait_attr":
      await page.waitForFunction(
        ([selector, attr, value]) => {
          const element = document.querySelector(selector);
          return element && element.getAttribute(attr) === value;
        },
        [cmd.selector, cmd.attr, cmd.value],
        { timeout },
      );
      return {};
    case "wait_gone":
      await page.locator(cmd.selector).first().waitFor({ state: "detached", timeout });
      return {};
    case "text":
      return { text: await page.locator(cmd.selector).first().textContent({ timeout }) };
    case "eval":
      return { value: await page.evaluate(cmd.expression) };
    case "same_document":
      return {
        value: loads === 1 && (await page.evaluate(() => window.__evlockMarker === "set at load")),
        loads,
      };
    case "click_download": {
      const [download] = await Promise.all([
        page.waitForEvent("download", { timeout }),
        page.locator(cmd.selector).first().click({ timeout }),
      ]);
      const path = await download.path();
      return { name: download.suggestedFilename(), text: readFileSync(path, "utf8") };
    }
    case "paint": {
      const timings = await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const paints = Object.fromEntries(performance.getEntriesByType("paint").map((p) => [p.name, p.startTime]));
        const resources = performance.getEntriesByType("resource").map((r) => ({
          name: r.name, transfer: r.transferSize, body: r.decodedBodySize,
        }));
        return {
          first_paint_ms: paints["first-paint"] ?? null,
          first_contentful_paint_ms: paints["first-contentful-paint"] ?? null,
          dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd : null,
          load_ms: nav ? nav.loadEventEnd : null,
          document_bytes: nav ? nav.decodedBodySize : null,
          document_transfer_bytes: nav ? nav.transferSize : null,
          resources,
        };
      });
      return { value: timings };
    }
    case "screenshot":
      await page.screenshot({ path: cmd.path, fullPage: true });
      return {};
    case "close":
      await closeAll();
      return {};
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = { ok: true, ...(await run(JSON.parse(line))) };
  } catch (error) {
    answer = { ok: false, error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
await closeAll();
