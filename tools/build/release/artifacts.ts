import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The registry's file names for a provider release (terraform-provider-TYPE_VERSION_…). */
export const releaseFiles = (version: string) => {
  const prefix = `terraform-provider-nestedvirt_${version}`;
  return {
    zip: (target: string) => `${prefix}_${target}.zip`,
    sums: `${prefix}_SHA256SUMS`,
    signature: `${prefix}_SHA256SUMS.sig`,
    manifest: `${prefix}_manifest.json`,
  };
};

/** Plugin protocol 6.0 is the only one the provider serves. */
export const MANIFEST = { version: 1, metadata: { protocol_versions: ["6.0"] } };

/** A fixed modification time inside the zips, so the same executable always gives the same zip (and `zh:` hash). */
const ZIP_TIME = new Date("2026-01-01T00:00:00Z");

/** Zips one executable under `entryName`, as the only entry, mode 0755. */
export function zipExecutable(executable: string, entryName: string, zipFile: string): void {
  const staging = fs.mkdtempSync(`${zipFile}.staging-`);
  try {
    const entry = path.join(staging, entryName);
    fs.linkSync(executable, entry);
    fs.chmodSync(entry, 0o755);
    fs.utimesSync(entry, ZIP_TIME, ZIP_TIME);
    fs.rmSync(zipFile, { force: true });
    // -X: no extra attributes (uid/gid, extended times) that differ from machine to machine.
    execFileSync("zip", ["-q", "-X", zipFile, entryName], {
      cwd: staging,
      stdio: "inherit",
      env: { ...process.env, TZ: "UTC" },
    });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

export const sha256File = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/**
 * Terraform's `h1:` hash of a provider package (Go's dirhash.Hash1 over the files the zip holds):
 * SHA-256 of the lines "<sha256 hex>  <name>\n", sorted by name.
 */
export function h1Hash(files: { name: string; content: Buffer }[]): string {
  const summary = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${createHash("sha256").update(f.content).digest("hex")}  ${f.name}\n`)
    .join("");
  return `h1:${createHash("sha256").update(summary).digest("base64")}`;
}

/** `zh:` hash: the SHA-256 of the zip file itself, as registries publish it. */
export const zhHash = (zipFile: string) => `zh:${sha256File(zipFile)}`;

/** `<sha256>  <file>` lines, as `sha256sum` prints them, sorted by file name. */
export function sha256Sums(dir: string, names: string[]): string {
  return [...names]
    .sort()
    .map((name) => `${sha256File(path.join(dir, name))}  ${name}\n`)
    .join("");
}

/** GnuPG signer: a key (ID, fingerprint or e-mail) and optionally the GNUPGHOME holding it. */
export interface GpgSigner {
  key: string;
  home?: string;
}

/** A detached binary signature, the form a provider registry expects next to SHA256SUMS. */
export function signDetached(file: string, signer: GpgSigner): void {
  execFileSync(
    "gpg",
    ["--batch", "--yes", "--local-user", signer.key, "--detach-sign", "--output", `${file}.sig`, file],
    {
      stdio: ["ignore", "inherit", "inherit"],
      env: signer.home ? { ...process.env, GNUPGHOME: signer.home } : process.env,
    },
  );
}
