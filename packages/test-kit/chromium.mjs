// Finds the Chromium that browser tests run in: Debian's `chromium` package (`apt-get install chromium`).
// Plain JavaScript, so that the test runner script can use it before any TypeScript loader is registered.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Executable names of Chromium builds, most likely first. */
const NAMES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

/** The install command the notices print. */
export const INSTALL_COMMAND = "apt-get update && apt-get install -y chromium";

/**
 * The path of a Chromium executable: `CHROMIUM_PATH` when set (it must exist), else the first of
 * {@link NAMES} on `PATH`. Returns undefined when there is none. A test tool's own browser download is never
 * used: it does not work on machines without network access.
 */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return isExecutable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const name of NAMES) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
