import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheRoot } from "../../cli/paths";
import { NODE_VERSION, type ReleaseTarget } from "./targets";

/**
 * The Node.js binary of a target, fetched once with `npm pack` (the npm registry is the only source)
 * and cached under ~/.cache/nestedvirt; the tarball must match the pinned integrity.
 */
export function nodeBinary(target: ReleaseTarget, log: (line: string) => void): string {
  const dir = path.join(cacheRoot(), "release", `node-v${NODE_VERSION}`, target.name);
  const binary = path.join(dir, path.basename(target.nodePath));
  if (fs.existsSync(binary)) return binary;

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-node-"));
  try {
    const spec = `${target.npmPackage}@${NODE_VERSION}`;
    log(`fetching ${spec} from the npm registry`);
    const tarballName = execFileSync("npm", ["pack", spec, "--silent", "--pack-destination", work], {
      cwd: work,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    })
      .trim()
      .split("\n")
      .pop() as string;
    const tarball = path.join(work, tarballName);
    const [algorithm, expected] = target.integrity.split(/-(.*)/s);
    const actual = createHash(algorithm).update(fs.readFileSync(tarball)).digest("base64");
    if (actual !== expected) {
      throw new Error(`${spec}: tarball integrity ${algorithm}-${actual} differs from the pinned ${target.integrity}`);
    }
    execFileSync("tar", ["-xzf", tarball, "-C", work, target.nodePath], { stdio: "inherit" });
    fs.mkdirSync(dir, { recursive: true });
    // Rename last, so a concurrent or interrupted run never sees half a binary.
    const staged = `${binary}.${process.pid}`;
    fs.renameSync(path.join(work, target.nodePath), staged);
    fs.renameSync(staged, binary);
    return binary;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
