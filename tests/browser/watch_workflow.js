// Runs the EventSource example of docs/streaming-events.md in headless Chromium against a real
// Herald and reports what the page received. Driven by tests/e2e/browser_test.cpp.
//
//   node watch_workflow.js --base http://127.0.0.1:PORT --workflow ID --guide docs/streaming-events.md
//        [--chromium /usr/bin/chromium] [--timeout-ms 90000] [--api-key KEY]
//
// With --api-key, the page gets its stream tokens from a function that mints them with the key
// (as a web app's backend would).
//
// Output, one line each, on stdout:
//   open                         the page's EventSource (re)connected
//   event <id> <type> <name>     an event reached the example's callbacks (<name> "-" for data)
//   end <name>                   the example saw the terminal state event and closed the stream
//   result <json>                last line: {"end", "events":[{id,type,name,data}], "opens",
//                                "sources", "pageErrors"}
// Exit status 0 once the example ended, 1 on a timeout or an error, 2 on bad usage.
"use strict";

const fs = require("fs");
const puppeteer = require("puppeteer-core");

const marker = "<!-- browser-example: watch-workflow -->";

function parseArgs(argv) {
  const args = { chromium: "/usr/bin/chromium", timeoutMs: 90000 };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "").replace(/-(.)/g, (_, c) => c.toUpperCase());
    args[key] = key === "timeoutMs" ? Number(argv[i + 1]) : argv[i + 1];
  }
  for (const required of ["base", "workflow", "guide"]) {
    if (!args[required]) {
      console.error(`watch_workflow.js: --${required} is required`);
      process.exit(2);
    }
  }
  return args;
}

/// The first ```js block after the marker in the guide: the code a reader copies.
function exampleFromGuide(path) {
  const text = fs.readFileSync(path, "utf8");
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${path} has no ${marker}`);
  const block = /```js\n([\s\S]*?)\n```/.exec(text.slice(at));
  if (!block) throw new Error(`${path} has no \`\`\`js block after ${marker}`);
  return block[1];
}

/// Counts the EventSource objects the example creates and the times they open, so that the test
/// can tell the browser's own reconnect from a new EventSource.
const instrumentation = `
window.__herald = { events: [], opens: 0, sources: [], end: null };
const NativeEventSource = window.EventSource;
window.EventSource = class extends NativeEventSource {
  constructor(url, init) {
    super(url, init);
    window.__herald.sources.push(String(url));
    this.addEventListener("open", () => {
      window.__herald.opens += 1;
      window.heraldReport("open");
    });
  }
};
`;

function startCall(workflowId, withToken) {
  return `
watchWorkflow(${JSON.stringify(workflowId)}, {
  streamToken: ${withToken ? "(id) => window.heraldStreamToken(id)" : "undefined"},
  onState(name, snapshot, id) {
    window.__herald.events.push({ id, type: "data", name, data: JSON.stringify(snapshot) });
    window.heraldReport("event " + id + " data " + name);
  },
  onStreamData(type, data, id) {
    window.__herald.events.push({ id, type, name: "", data });
    window.heraldReport("event " + id + " " + type + " -");
  },
  onEnd(name) {
    window.__herald.end = name;
    window.heraldReport("end " + name);
  },
});
`;
}

async function main() {
  const args = parseArgs(process.argv);
  const example = exampleFromGuide(args.guide);
  const browser = await puppeteer.launch({
    executablePath: args.chromium,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const stop = async (code, page, pageErrors) => {
    const state = page
      ? await page.evaluate(() => window.__herald).catch(() => null)
      : null;
    const result = { ...(state || { events: [], opens: 0, sources: [], end: null }), pageErrors };
    process.stdout.write("result " + JSON.stringify(result) + "\n");
    await browser.close().catch(() => {});
    process.exit(code);
  };
  let page = null;
  const pageErrors = [];
  process.on("SIGTERM", () => stop(1, page, pageErrors.concat(["SIGTERM"])));
  try {
    page = await browser.newPage();
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    let ended;
    const done = new Promise((resolve) => (ended = resolve));
    await page.exposeFunction("heraldReport", (line) => {
      process.stdout.write(line + "\n");
      if (line.startsWith("end ")) ended();
    });
    // Any page of Herald's own origin will do: the example uses relative URLs, as a web app
    // served by the same origin does.
    const res = await page.goto(args.base + "/_/health");
    if (!res || !res.ok()) throw new Error(`GET /_/health: ${res ? res.status() : "no response"}`);
    // The page's "backend": mints stream tokens with the API key, which stays in this process.
    if (args.apiKey) {
      await page.exposeFunction("heraldStreamToken", async (id) => {
        const res = await fetch(
          `${args.base}/api/orgs/default/workflow-executions/${id}/stream-token`,
          { method: "POST", headers: { Authorization: `Bearer ${args.apiKey}` } },
        );
        if (res.status !== 201) throw new Error(`stream-token: HTTP ${res.status}`);
        return (await res.json()).token;
      });
    }
    await page.evaluate(instrumentation + example + "\n" + startCall(args.workflow, !!args.apiKey));
    const timeout = new Promise((resolve) => setTimeout(() => resolve("timeout"), args.timeoutMs));
    if ((await Promise.race([done, timeout])) === "timeout") {
      pageErrors.push(`no terminal event within ${args.timeoutMs} ms`);
      await stop(1, page, pageErrors);
    }
    await stop(0, page, pageErrors);
  } catch (err) {
    pageErrors.push(String(err && err.stack ? err.stack : err));
    await stop(1, page, pageErrors);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
