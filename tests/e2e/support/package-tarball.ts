import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "../../../tools/cli/paths";

/** Packs the package exactly as it would be published; returns the tarball's path. */
export function packPackage(destination: string): string {
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", destination], {
    cwd: repoRoot(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [packed] = JSON.parse(out) as { filename: string; size: number; unpackedSize: number }[];
  return path.join(destination, packed.filename);
}

/** npm install in `dir`, preferring the local npm cache so reruns do not touch the registry. */
export function npmInstall(dir: string, packages: string[]): void {
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...packages], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
}
