// `vitest run` of the whole workspace, as `pnpm test` runs it: the Node projects always, the browser project
// when Chromium is found. Without Chromium it prints a loud notice and runs the Node projects only, except
// under CI=true, where a missing browser fails the run (a claim of browser support counts only when a real
// browser runs it). Extra arguments go to vitest.
import { spawnSync } from "node:child_process";
import { argv, env, exit } from "node:process";
import { findChromium, INSTALL_COMMAND } from "./chromium.mjs";

const chromium = findChromium();
const args = ["exec", "vitest", "run", ...argv.slice(2)];
const skipped = [
  "Chromium not found: SKIPPED the browser tests (test/*.browser.test.ts).",
  "Only the Node tests ran.",
];
if (!chromium) {
  if (env.CI === "true") {
    box(["Chromium not found: the browser tests cannot run, and under CI=true that is a failure."]);
    exit(1);
  }
  box(skipped);
  args.push("--project", "!browser");
}
const result = spawnSync("pnpm", args, {
  stdio: "inherit",
  env: chromium ? { ...env, CHROMIUM_PATH: chromium } : env,
});
// Said again after the results, where the reader of a run's end looks.
if (!chromium) box(skipped);
exit(result.status ?? 1);

function box(lines) {
  const all = [
    ...lines,
    "",
    `Install it (Debian's chromium package):  ${INSTALL_COMMAND}`,
    "or point CHROMIUM_PATH at a Chromium executable.",
  ];
  const width = Math.max(...all.map((line) => line.length));
  const bar = "!".repeat(width + 6);
  console.error(["", bar, ...all.map((line) => `!! ${line.padEnd(width)} !!`), bar, ""].join("\n"));
}
