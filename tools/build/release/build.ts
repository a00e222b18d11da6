import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot, repoRoot } from "../../cli/paths";
import {
  type GpgSigner,
  h1Hash,
  MANIFEST,
  releaseFiles,
  sha256Sums,
  signDetached,
  zhHash,
  zipExecutable,
} from "./artifacts";
import { bundleProvider } from "./bundle";
import { removeCodeSignature, signAdHoc } from "./macho";
import { nodeBinary } from "./node-binaries";
import { removeAuthenticodeSignature } from "./pe";
import { injectSeaBlob, writeSeaBlob } from "./sea";
import { executableName, NODE_VERSION, type ReleaseTarget, TARGETS } from "./targets";

export interface ReleaseOptions {
  /** Where the registry files go; created if missing. */
  outDir: string;
  /** Signs SHA256SUMS; without it the release has no .sig (fine for mirrors, not for a registry). */
  signer?: GpgSigner;
  log?: (line: string) => void;
}

export interface ReleasedTarget {
  target: ReleaseTarget;
  /** The executable as built (in the build cache); the zip holds the same bytes. */
  executable: string;
  zip: string;
  h1: string;
  zh: string;
}

export interface Release {
  version: string;
  outDir: string;
  targets: ReleasedTarget[];
  sums: string;
  signature?: string;
  manifest: string;
  /** True when the executables came from the build cache. */
  cached: boolean;
}

/** The identifier the ad-hoc signature carries (codesign would use the file name). */
const SIGNING_IDENTIFIER = "terraform-provider-nestedvirt";
/** This build's own modules that shape the executables and zips (not the CLI or the figures). */
const EXECUTABLE_INPUTS = ["artifacts", "build", "macho", "node-binaries", "pe", "sea", "targets"];
/** Builds kept in the cache: each is about 750 MB. */
const KEPT_BUILDS = 2;

function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(repoRoot(), "package.json"), "utf8")) as { version: string }).version;
}

/**
 * Everything the executables depend on: the bundle (so the provider's code and dependencies), the
 * Node.js version, and this build's own code (the signer, the injector's version). Two runs with
 * the same inputs, e.g. the test suite under two Node.js versions, build once.
 */
function buildKey(version: string, bundle: string): string {
  const hash = createHash("sha256").update(`${version}\n${NODE_VERSION}\n${bundle}\n`);
  for (const module of EXECUTABLE_INPUTS) hash.update(fs.readFileSync(path.join(__dirname, `${module}.js`)));
  const postject = path.join(repoRoot(), "node_modules", "postject", "package.json");
  hash.update(fs.readFileSync(postject));
  return hash.digest("hex").slice(0, 20);
}

async function buildExecutables(dir: string, version: string, bundle: string, log: (line: string) => void) {
  const bundleFile = path.join(dir, "provider.js");
  fs.writeFileSync(bundleFile, bundle);
  const blobFile = path.join(dir, "sea-blob.bin");
  const linux = TARGETS.find((t) => t.name === "linux_amd64") as ReleaseTarget;
  writeSeaBlob(nodeBinary(linux, log), bundleFile, blobFile);
  const blob = fs.readFileSync(blobFile);
  for (const target of TARGETS) {
    const started = Date.now();
    const executable = path.join(dir, target.name, executableName(version, target));
    fs.mkdirSync(path.dirname(executable));
    const node = fs.readFileSync(nodeBinary(target, log));
    const unsigned =
      target.format === "macho"
        ? removeCodeSignature(node)
        : target.format === "pe"
          ? removeAuthenticodeSignature(node)
          : node;
    fs.writeFileSync(executable, unsigned);
    await injectSeaBlob(executable, blob, target.format);
    if (target.format === "macho")
      fs.writeFileSync(executable, signAdHoc(fs.readFileSync(executable), SIGNING_IDENTIFIER));
    fs.chmodSync(executable, 0o755);
    zipExecutable(executable, path.basename(executable), path.join(dir, releaseFiles(version).zip(target.name)));
    log(`built ${target.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

function pruneBuilds(buildsDir: string, keep: string): void {
  const builds = fs
    .readdirSync(buildsDir)
    // Staging directories (".<key>-…") may belong to a build still running in another process.
    .filter((name) => name !== keep && !name.startsWith("."))
    .map((name) => ({ name, time: fs.statSync(path.join(buildsDir, name)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  for (const old of builds.slice(KEPT_BUILDS - 1))
    fs.rmSync(path.join(buildsDir, old.name), { recursive: true, force: true });
}

function linkOrCopy(from: string, to: string): void {
  fs.rmSync(to, { force: true });
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

/** `npm run release`: the five executables, their zips, SHA256SUMS (+ .sig) and the manifest. */
export async function buildRelease(options: ReleaseOptions): Promise<Release> {
  const log = options.log ?? (() => undefined);
  const version = packageVersion();
  const files = releaseFiles(version);
  const bundle = await bundleProvider();
  const key = buildKey(version, bundle);
  const buildsDir = path.join(cacheRoot(), "release", "builds");
  const buildDir = path.join(buildsDir, key);
  const cached = fs.existsSync(path.join(buildDir, "complete"));
  if (cached) {
    log(`executables unchanged (build ${key}); reusing ${buildDir}`);
    fs.utimesSync(buildDir, new Date(), new Date());
  } else {
    fs.mkdirSync(buildsDir, { recursive: true });
    const staging = fs.mkdtempSync(path.join(buildsDir, `.${key}-`));
    try {
      await buildExecutables(staging, version, bundle, log);
      fs.writeFileSync(path.join(staging, "complete"), `${new Date().toISOString()}\n`);
      fs.rmSync(buildDir, { recursive: true, force: true });
      fs.renameSync(staging, buildDir);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    pruneBuilds(buildsDir, key);
  }

  fs.mkdirSync(options.outDir, { recursive: true });
  const targets = TARGETS.map((target): ReleasedTarget => {
    const executable = path.join(buildDir, target.name, executableName(version, target));
    const zip = path.join(options.outDir, files.zip(target.name));
    linkOrCopy(path.join(buildDir, files.zip(target.name)), zip);
    return {
      target,
      executable,
      zip,
      h1: h1Hash([{ name: path.basename(executable), content: fs.readFileSync(executable) }]),
      zh: zhHash(zip),
    };
  });
  const manifest = path.join(options.outDir, files.manifest);
  fs.writeFileSync(manifest, `${JSON.stringify(MANIFEST, null, 2)}\n`);
  const sums = path.join(options.outDir, files.sums);
  fs.writeFileSync(sums, sha256Sums(options.outDir, [...targets.map((t) => path.basename(t.zip)), files.manifest]));
  const signature = path.join(options.outDir, files.signature);
  fs.rmSync(signature, { force: true });
  if (options.signer) signDetached(sums, options.signer);
  return {
    version,
    outDir: options.outDir,
    targets,
    sums,
    signature: options.signer ? signature : undefined,
    manifest,
    cached,
  };
}
