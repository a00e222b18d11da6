/**
 * `npm run release [-- --out DIR] [-- --gpg-key KEY]`: builds the provider's self-contained
 * executables and the files a provider registry or mirror serves. See docs/index.md, "Releases".
 *
 * The key may also come from NESTEDVIRT_RELEASE_GPG_KEY (and GNUPGHOME). Without one the release is
 * left unsigned, which filesystem and network mirrors accept; a registry needs the signature.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../../cli/paths";
import { buildRelease } from "./build";

function arg(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const megabytes = (file: string) => (fs.statSync(file).size / 1e6).toFixed(1);

async function main(): Promise<void> {
  const started = Date.now();
  const key = arg("gpg-key") ?? process.env.NESTEDVIRT_RELEASE_GPG_KEY;
  const outDir = path.resolve(arg("out") ?? path.join(repoRoot(), "dist", "release"));
  const release = await buildRelease({
    outDir,
    signer: key ? { key } : undefined,
    log: (line) => process.stderr.write(`release: ${line}\n`),
  });
  const lines = [
    `terraform-provider-nestedvirt ${release.version} in ${release.outDir} (${((Date.now() - started) / 1000).toFixed(1)} s${release.cached ? ", executables from the build cache" : ""})`,
    "",
    "| platform | executable MB | zip MB | h1 hash |",
    "| --- | ---: | ---: | --- |",
    ...release.targets.map(
      (t) => `| ${t.target.name} | ${megabytes(t.executable)} | ${megabytes(t.zip)} | \`${t.h1}\` |`,
    ),
    "",
    `${path.basename(release.sums)}, ${path.basename(release.manifest)}${release.signature ? `, ${path.basename(release.signature)}` : " (unsigned: pass --gpg-key KEY to sign)"}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`release failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
