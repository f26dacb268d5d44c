// Drives herald's web console (served at /) in headless Chromium, as a user would, for
// tests/e2e/console_test.cpp. The test starts herald and the example worker, reads this script's
// lines and crashes and restarts herald when told to.
//
//   node console.js --base http://127.0.0.1:PORT --queue QUEUE [--api-key KEY]
//        [--chromium /usr/bin/chromium] [--screenshots DIR] [--timeout-ms 90000]
//
// Steps, each announced on stdout:
//   list-live                    the list page follows the executions feed (start a workflow now)
//   row <id> <status>            the new execution appeared in the list without a reload
//   row-updated <id> <status>    ... and its status changed in place
//   execution-live <id>          its page follows its stream (crash herald now)
//   finished <id>                the page showed it COMPLETED, after reconnecting by itself
//   started <id>                 a second run, started from the console's form
//   result <json>                last line: what the pages showed (see `result` below)
// Exit status 0 once every step passed, 1 on a timeout or an error, 2 on bad usage.
"use strict";

const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

function parseArgs(argv) {
  const args = { chromium: "/usr/bin/chromium", timeoutMs: 90000 };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "").replace(/-(.)/g, (_, c) => c.toUpperCase());
    args[key] = key === "timeoutMs" ? Number(argv[i + 1]) : argv[i + 1];
  }
  for (const required of ["base", "queue"]) {
    if (!args[required]) {
      console.error(`console.js: --${required} is required`);
      process.exit(2);
    }
  }
  return args;
}

const say = (line) => process.stdout.write(`${line}\n`);

/// Records every state of the "live" pill, so that the test can see the reconnect.
const instrumentation = `
window.__liveStates = [];
document.addEventListener("DOMContentLoaded", () => {
  const pill = document.getElementById("live");
  const note = () => {
    const s = pill.dataset.state;
    if (window.__liveStates[window.__liveStates.length - 1] !== s) window.__liveStates.push(s);
  };
  new MutationObserver(note).observe(pill, { attributes: true });
  note();
});
`;

async function main() {
  const args = parseArgs(process.argv);
  const timeout = args.timeoutMs;
  const browser = await puppeteer.launch({
    executablePath: args.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const result = { pageErrors: [], listLoads: 0 };
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1360, height: 900 });
    page.on("pageerror", (err) => result.pageErrors.push(String(err)));
    page.on("console", (msg) => {
      if (msg.type() === "error" && !/Failed to load resource|ERR_/.test(msg.text()))
        result.pageErrors.push(msg.text());
    });
    page.on("dialog", (dialog) => dialog.accept("cancelled from the console test"));
    // Only list loads are counted: the list must update from the feed, not by polling.
    page.on("request", (req) => {
      if (/\/workflow-executions\?/.test(req.url())) result.listLoads += 1;
    });
    await page.evaluateOnNewDocument(
      (key) => {
        if (key) sessionStorage.setItem("herald.key", key);
        localStorage.setItem("herald.org", "default");
      },
      args.apiKey || "",
    );
    await page.evaluateOnNewDocument(instrumentation);
    const shot = async (name) => {
      if (!args.screenshots) return;
      fs.mkdirSync(args.screenshots, { recursive: true });
      await page.screenshot({ path: path.join(args.screenshots, name), fullPage: true });
    };
    const live = () => page.waitForSelector('#live[data-state="live"]', { timeout });

    // 1. The list follows the feed; the test starts a workflow once it does.
    await page.goto(`${args.base}/`, { waitUntil: "domcontentloaded" });
    await live();
    await page.waitForSelector("table[data-role=executions][data-loaded]", { timeout });
    const before = await page.$$eval("tr[data-id]", (trs) => trs.map((tr) => tr.dataset.id));
    say("list-live");
    const fresh = await page.waitForFunction(
      (known) => [...document.querySelectorAll("tr[data-id]")].find((tr) => !known.includes(tr.dataset.id)),
      { timeout },
      before,
    );
    const id = await fresh.evaluate((tr) => tr.dataset.id);
    say(`row ${id} ${await fresh.evaluate((tr) => tr.dataset.status)}`);
    const rowSelector = `tr[data-id="${id}"]`;
    await page.waitForSelector(`${rowSelector}:not([data-status="PENDING"])`, { timeout });
    say(`row-updated ${id} ${await page.$eval(rowSelector, (tr) => tr.dataset.status)}`);
    result.listLoadsWhileLive = result.listLoads;

    // 2. Its page, from the list's link; the test crashes herald while it runs.
    // Clicked in the page: a puppeteer click is several protocol steps, between which the list
    // may move the row.
    await page.$eval(`${rowSelector} a[href^="#/executions/"]`, (a) => a.click());
    await page.waitForSelector(".exec-header h1", { timeout });
    await live();
    await page.waitForFunction(() => document.querySelectorAll("[data-role=timeline] li").length >= 3, { timeout });
    await shot("console-execution-running.png");
    say(`execution-live ${id}`);
    await page.waitForFunction(() => window.__liveStates.includes("reconnecting"), { timeout });
    const headerStatus = ".exec-header [data-role=status]";
    await page.waitForFunction(
      (sel) => document.querySelector(sel) && document.querySelector(sel).textContent === "COMPLETED",
      { timeout },
      headerStatus,
    );
    // The output and the child's end come with the last events and the reads they trigger.
    await page.waitForFunction(
      () => {
        const out = document.querySelector("[data-role=output]");
        const done = document.querySelectorAll('[data-role=tree] li[data-status="COMPLETED"]');
        return out && out.textContent.includes("words") && done.length >= 2;
      },
      { timeout },
    );
    say(`finished ${id}`);
    result.liveStates = await page.evaluate(() => window.__liveStates);
    result.timeline = await page.$$eval("[data-role=timeline] li", (lis) =>
      lis.map((li) => ({ offset: li.dataset.offset, event: li.dataset.event, execution: li.dataset.execution })),
    );
    result.tokens = await page.$eval(`[data-tokens]`, (pre) => ({ execution: pre.dataset.tokens, text: pre.textContent }));
    result.tree = await page.$$eval("[data-role=tree] li", (lis) =>
      lis.map((li) => ({ id: li.dataset.id, status: li.dataset.status })),
    );
    result.output = await page.$eval("[data-role=output]", (pre) => pre.textContent);

    // 3. A task's attempts and logs: the first look-up.
    await page.waitForSelector("[data-role=tasks] tr[data-task]", { timeout });
    await page.$eval("[data-role=tasks] tr[data-task]", (tr) => tr.click());
    await page.waitForSelector("[data-role=task-detail] [data-role=attempts] li", { timeout });
    result.attempts = await page.$$eval("[data-role=attempts] li", (lis) => lis.map((li) => li.textContent));
    result.logs = await page.$$eval("[data-role=logs]", (pres) => pres.map((p) => p.textContent).join("\n"));
    await shot("console-execution.png");

    // 4. Back to the list: the feed lost its place in the crash (offsets are per process), so the
    // list reloaded once and shows the execution's end.
    await page.evaluate(() => (location.hash = "#/"));
    await live();
    await page.waitForSelector(`${rowSelector}[data-status="COMPLETED"]`, { timeout });
    await shot("console-list.png");
    result.listStatus = "COMPLETED";

    // 5. A second run from the console's form, signalled and then cancelled from its page.
    await page.click(".toolbar button");
    await page.waitForSelector("[data-role=start-form]:not([hidden])", { timeout });
    await page.type("[data-role=start-form] input[name=kind]", "research-report");
    await page.type("[data-role=start-form] input[name=queue]", args.queue);
    await page.click("[data-role=start-form] button[type=submit]");
    await page.waitForFunction(() => /^#\/executions\//.test(location.hash), { timeout });
    const second = await page.evaluate(() => location.hash.split("/").pop());
    say(`started ${second}`);
    await page.waitForFunction(
      (sel) => {
        const s = document.querySelector(sel);
        return s && (s.textContent === "WAITING" || s.textContent === "RUNNING");
      },
      { timeout },
      headerStatus,
    );
    await page.type("[data-role=signal-name]", "nudge");
    await page.type("[data-role=signal-value]", '{"from":"console"}');
    await page.click('button[data-action="signal"]');
    await page.waitForSelector('button[data-action="cancel"]:not([disabled])', { timeout });
    await page.click('button[data-action="cancel"]');
    await page.waitForFunction(
      (sel) => document.querySelector(sel) && document.querySelector(sel).textContent === "CANCELLED",
      { timeout },
      headerStatus,
    );
    result.second = {
      id: second,
      retryDisabled: await page.$eval('button[data-action="retry"]', (b) => b.disabled),
      notice: await page.$eval("#notice", (n) => (n.hidden ? "" : n.textContent)),
    };
    say(`result ${JSON.stringify(result)}`);
    await browser.close();
    process.exit(0);
  } catch (err) {
    result.error = String(err && err.stack ? err.stack : err);
    say(`result ${JSON.stringify(result)}`);
    await browser.close();
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
