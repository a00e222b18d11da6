import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Release, ReleasedTarget } from "../../../tools/build/release/build";
import { PROVIDER_ADDRESS } from "../../../tools/cli/terraform";

/** The three ways a Terraform or OpenTofu user installs a released provider without a registry. */
export type MirrorKind = "packed filesystem_mirror" | "unpacked filesystem_mirror" | "network_mirror";

/** `<mirror>/registry.terraform.io/nestedvirt/nestedvirt`: the provider's directory in any mirror layout. */
const providerDir = (mirror: string) => path.join(mirror, ...PROVIDER_ADDRESS.split("/"));

/** Packed layout: the release zips as they are, all platforms side by side. */
export function writePackedMirror(mirror: string, release: Release): void {
  fs.mkdirSync(providerDir(mirror), { recursive: true });
  for (const { zip } of release.targets) fs.copyFileSync(zip, path.join(providerDir(mirror), path.basename(zip)));
}

/** Unpacked layout: `<version>/<os>_<arch>/` holding what the zip holds, unzipped. */
export function writeUnpackedMirror(mirror: string, release: Release, target: ReleasedTarget): void {
  const dir = path.join(providerDir(mirror), release.version, target.target.name);
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("unzip", ["-q", "-o", target.zip, "-d", dir]);
}

/**
 * Network mirror protocol: `index.json` lists the versions, `<version>.json` each platform's
 * archive (relative to itself) and the hashes Terraform must find in it.
 */
export function writeNetworkMirror(mirror: string, release: Release, hashOf = (t: ReleasedTarget) => t.h1): void {
  writePackedMirror(mirror, release);
  fs.writeFileSync(
    path.join(providerDir(mirror), "index.json"),
    JSON.stringify({ versions: { [release.version]: {} } }),
  );
  const archives = Object.fromEntries(
    release.targets.map((t) => [t.target.name, { url: path.basename(t.zip), hashes: [hashOf(t)] }]),
  );
  fs.writeFileSync(path.join(providerDir(mirror), `${release.version}.json`), JSON.stringify({ archives }));
}

/** The CLI configuration installing nestedvirt from one mirror, and everything else from nowhere. */
export function mirrorCliConfig(kind: MirrorKind, location: string): string {
  const source =
    kind === "network_mirror"
      ? `network_mirror {\n    url     = ${JSON.stringify(location)}\n    include = [${JSON.stringify(PROVIDER_ADDRESS)}]\n  }`
      : `filesystem_mirror {\n    path    = ${JSON.stringify(location)}\n    include = [${JSON.stringify(PROVIDER_ADDRESS)}]\n  }`;
  return `provider_installation {\n  ${source}\n  direct {\n    exclude = [${JSON.stringify(PROVIDER_ADDRESS)}]\n  }\n}\n`;
}
