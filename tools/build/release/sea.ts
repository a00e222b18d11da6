import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { inject } from "postject";
import type { ExecutableFormat } from "./targets";

/** The fuse Node.js checks to know it carries a single-executable blob (Node 20 and 22). */
export const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/**
 * Writes the single-executable blob for `bundleFile`. It must be made by the same Node.js version
 * the executables carry, so `node` is the pinned linux build, which runs here. No code cache or
 * snapshot: both are specific to the platform that makes them, and one blob serves all five.
 */
export function writeSeaBlob(node: string, bundleFile: string, blobFile: string): void {
  const config = path.join(path.dirname(blobFile), "sea-config.json");
  fs.writeFileSync(
    config,
    JSON.stringify({
      main: bundleFile,
      output: blobFile,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: false,
    }),
  );
  execFileSync(node, ["--experimental-sea-config", config], { stdio: "pipe" });
}

/** Injects the blob into a copy of a Node.js binary (postject flips the fuse). */
export async function injectSeaBlob(executable: string, blob: Buffer, format: ExecutableFormat): Promise<void> {
  await inject(executable, "NODE_SEA_BLOB", blob, {
    sentinelFuse: SEA_FUSE,
    ...(format === "macho" ? { machoSegmentName: "NODE_SEA" } : {}),
  });
}

/** True when the executable's fuse says it carries a blob (postject turns `…:0` into `…:1`). */
export function seaFuseSet(executable: Buffer): boolean {
  return executable.includes(`${SEA_FUSE}:1`);
}
