import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { handshakeLine } from "../../provider/terraform/protocol/handshake";
import { releaseFiles, sha256File } from "../../tools/build/release/artifacts";
import {
  CPU_TYPE_ARM64,
  CPU_TYPE_X86_64,
  checkCodeSignature,
  MH_EXECUTE,
  readMachO,
} from "../../tools/build/release/macho";
import { IMAGE_FILE_MACHINE_AMD64, readPe } from "../../tools/build/release/pe";
import { seaFuseSet } from "../../tools/build/release/sea";
import { type TestRelease, testRelease } from "./support/test-release";

const ELF_MACHINE = { amd64: 62, arm64: 183 } as const;

/**
 * What `npm run release` produces, read back file by file. Only linux_amd64 can run here; the
 * other executables are checked for their format headers, the injected blob and, on macOS, a valid
 * ad-hoc signature.
 */
describe("npm run release: the registry's files and five self-contained executables", function () {
  this.timeout(5 * 60 * 1000);
  let release: TestRelease;
  const files = (version: string) => releaseFiles(version);
  const target = (name: string) => {
    const found = release.targets.find((t) => t.target.name === name);
    if (!found) throw new Error(`no ${name} in the release`);
    return found;
  };

  before(async function () {
    this.timeout(45 * 60 * 1000); // a cold build fetches five Node.js binaries and injects into each
    release = await testRelease();
  });

  it("names one zip per platform as the registry does, each holding only terraform-provider-nestedvirt_v<version>", () => {
    const names = fs.readdirSync(release.outDir).sort();
    const { zip, sums, signature, manifest } = files(release.version);
    expect(names).to.deep.equal(
      [
        ...["darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64", "windows_amd64"].map(zip),
        sums,
        signature,
        manifest,
      ].sort(),
    );
    for (const t of release.targets) {
      const entries = execFileSync("unzip", ["-Z1", t.zip], { encoding: "utf8" }).trim().split("\n");
      const suffix = t.target.os === "windows" ? ".exe" : "";
      expect(entries, t.target.name).to.deep.equal([`terraform-provider-nestedvirt_v${release.version}${suffix}`]);
      const listing = execFileSync("unzip", ["-Z", t.zip], { encoding: "utf8" });
      expect(listing, `${t.target.name} keeps the executable bit`).to.match(/-rwxr-xr-x/);
    }
  });

  it("lists the SHA-256 of every zip and the manifest in SHA256SUMS, signed by the release key", () => {
    const lines = fs.readFileSync(release.sums, "utf8").trim().split("\n");
    const { manifest } = files(release.version);
    expect(lines).to.deep.equal(
      [...release.targets.map((t) => path.basename(t.zip)), manifest]
        .sort()
        .map((name) => `${sha256File(path.join(release.outDir, name))}  ${name}`),
    );
    const verify = execFileSync(
      "gpg",
      ["--batch", "--status-fd", "1", "--verify", `${release.sums}.sig`, release.sums],
      {
        encoding: "utf8",
        env: { ...process.env, GNUPGHOME: release.gnupgHome },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    expect(verify).to.match(/\[GNUPG:\] GOODSIG [0-9A-F]+ nestedvirt test release/);
  });

  it("rejects SHA256SUMS changed after signing", () => {
    const tampered = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-sums-")), "SHA256SUMS");
    fs.writeFileSync(
      tampered,
      fs.readFileSync(release.sums, "utf8").replace(/^[0-9a-f]/, (c) => (c === "0" ? "1" : "0")),
    );
    let failed = false;
    try {
      execFileSync("gpg", ["--batch", "--verify", `${release.sums}.sig`, tampered], {
        env: { ...process.env, GNUPGHOME: release.gnupgHome },
        stdio: "ignore",
      });
    } catch {
      failed = true;
    }
    fs.rmSync(path.dirname(tampered), { recursive: true, force: true });
    expect(failed).to.equal(true);
  });

  it("declares plugin protocol 6.0 in the manifest", () => {
    expect(JSON.parse(fs.readFileSync(release.manifest, "utf8"))).to.deep.equal({
      version: 1,
      metadata: { protocol_versions: ["6.0"] },
    });
  });

  it("builds ELF executables for x86-64 and AArch64 Linux, each carrying the provider", () => {
    for (const name of ["linux_amd64", "linux_arm64"] as const) {
      const file = fs.readFileSync(target(name).executable);
      expect(file.subarray(0, 4).toString("latin1"), name).to.equal("\x7fELF");
      expect(file.readUInt16LE(18), `${name} e_machine`).to.equal(ELF_MACHINE[target(name).target.arch]);
      expect(seaFuseSet(file), `${name} has the single-executable fuse set`).to.equal(true);
    }
  });

  it("builds Mach-O executables for x86_64 and arm64 macOS with a valid ad-hoc signature (not run here)", () => {
    for (const [name, cpu] of [
      ["darwin_amd64", CPU_TYPE_X86_64],
      ["darwin_arm64", CPU_TYPE_ARM64],
    ] as const) {
      const file = fs.readFileSync(target(name).executable);
      const macho = readMachO(file);
      expect([macho.cpuType, macho.fileType], name).to.deep.equal([cpu, MH_EXECUTE]);
      expect(
        macho.segments.map((s) => s.name),
        name,
      ).to.include("NODE_SEA");
      expect(macho.segments.at(-1)?.name, `${name}: __LINKEDIT ends the file`).to.equal("__LINKEDIT");
      expect(seaFuseSet(file), name).to.equal(true);
      const signature = checkCodeSignature(file);
      expect(signature, name).to.deep.include({
        identifier: "terraform-provider-nestedvirt",
        adHoc: true,
        hashType: 2,
        mismatchedPages: [],
        requirementsHashMatches: true,
      });
      expect(signature.pages, `${name}: every page up to the signature is hashed`).to.equal(
        Math.ceil((macho.codeSignature?.dataOffset ?? 0) / 4096),
      );
    }
  });

  it("notices a macOS executable changed after signing (the check above can fail)", () => {
    const file = fs.readFileSync(target("darwin_arm64").executable);
    file[100 * 4096 + 17] ^= 0xff;
    expect(checkCodeSignature(file).mismatchedPages).to.deep.equal([100]);
  });

  it("builds a PE32+ executable for x86-64 Windows with the provider as a resource and no stale Authenticode table (not run here)", () => {
    const file = fs.readFileSync(target("windows_amd64").executable);
    const pe = readPe(file);
    expect(pe.machine).to.equal(IMAGE_FILE_MACHINE_AMD64);
    expect(pe.optionalHeaderMagic).to.equal(0x20b);
    expect(pe.sections).to.include(".rsrc");
    expect(file.includes(Buffer.from("NODE_SEA_BLOB", "utf16le"))).to.equal(true);
    expect(seaFuseSet(file)).to.equal(true);
    expect(pe.certificateTable).to.deep.equal({ offset: 0, size: 0 });
  });

  it("starts the linux_amd64 executable with no node on PATH and prints go-plugin's handshake line", async () => {
    const emptyPath = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-no-node-"));
    const child = spawn(target("linux_amd64").executable, [], {
      env: {
        PATH: emptyPath,
        TF_PLUGIN_MAGIC_COOKIE: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        PLUGIN_PROTOCOL_VERSIONS: "6",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk;
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`exited ${code} before the handshake`)));
    });
    child.kill();
    fs.rmSync(emptyPath, { recursive: true, force: true });
    const port = Number(line.split("|")[3].split(":")[1]);
    expect(line).to.equal(handshakeLine(port, ""));
  });
});
