"use strict";
// Herald's example worker: what a user of a Flovyn SDK writes. Start it with
//   bash examples/run-worker.sh
// then start a workflow and watch it live:
//   build/tools/heraldctl/heraldctl start research-report --input '{"topic":"durable execution"}' --watch
//
// research-report looks its topic up in three sources at once (parallel tasks), waits two
// seconds on a durable timer, has a child workflow pick the key points, and writes the report
// with a task that streams it word by word, the way an LLM streams tokens.
const { Worker } = require("./sdk");

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const env = (name, fallback) => process.env[name] || fallback;

const worker = new Worker({
  grpc: env("HERALD_GRPC", "127.0.0.1:9090"),
  http: env("HERALD_HTTP", "127.0.0.1:8000"),
  apiKey: env("HERALD_API_KEY", ""),
  orgId: env("HERALD_ORG_ID", ""),
  queue: env("HERALD_QUEUE", "default"),
});

// Workflows: deterministic code that only decides what happens next.

worker.workflow("research-report", async (ctx, input) => {
  const topic = (input && input.topic) || "durable execution";
  const sources = ["encyclopedia", "news", "papers"];
  const findings = await Promise.all(
    sources.map((source) => ctx.task("look-up", { topic, source })),
  );
  await ctx.sleep(2000);
  const { points } = await ctx.child("key-points", { topic, findings });
  const report = await ctx.task("write-report", { topic, points });
  return { topic, points, words: report.words };
});

worker.workflow("key-points", async (ctx, { findings }) => {
  return ctx.task("pick-points", { findings });
});

// Tasks: where the work (and the I/O) happens. Each attempt runs once.

const facts = {
  encyclopedia: ["records every step before acting on it", 300],
  news: ["lets a program survive crashes and restarts", 500],
  papers: ["rebuilds a program's state by replaying its history", 700],
};

worker.task("look-up", async (task, { topic, source }) => {
  const [finding, ms] = facts[source];
  await task.log("info", `searching ${source} for "${topic}"`);
  await pause(ms);
  await task.progress(1, `${source} searched`);
  return { source, finding: `${topic} ${finding}` };
});

worker.task("pick-points", async (task, { findings }) => {
  await pause(200);
  return { points: findings.map((f) => `${f.finding} (${f.source})`) };
});

worker.task("write-report", async (task, { topic, points }) => {
  const text =
    `A short report on ${topic}. ${points.join("; ")}. ` +
    "So a crash costs a replay, not the work. " +
    "Each word you are reading arrived as its own token, streamed live by the task that wrote it.";
  const words = text.split(" ");
  for (const [i, word] of words.entries()) {
    await task.token(i === 0 ? word : ` ${word}`);
    await pause(40);
  }
  return { words: words.length };
});

process.on("SIGINT", () => worker.stop());
process.on("SIGTERM", () => worker.stop());
worker.run().catch((e) => {
  console.error(`worker: ${e.message}`);
  process.exit(1);
});
