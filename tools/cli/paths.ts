import * as fs from "node:fs";
import * as path from "node:path";

/** The repository (or unpacked package) root: the nearest package.json named "nestedvirt". */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === "nestedvirt") return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no nestedvirt package.json above ${from}`);
    dir = parent;
  }
}

/** Where heavy tool builds and npm tarballs are cached between runs on the same machine. */
export function cacheRoot(): string {
  return (
    process.env.NESTEDVIRT_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? "/tmp", ".cache"), "nestedvirt")
  );
}
