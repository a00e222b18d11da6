import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildRelease, type Release } from "../../../tools/build/release/build";

export interface TestRelease extends Release {
  /** The GNUPGHOME holding the key generated for this test run (public part included). */
  gnupgHome: string;
  keyUid: string;
}

const KEY_UID = "nestedvirt test release <release-tests@nestedvirt.invalid>";
let release: Promise<TestRelease> | undefined;

/**
 * `npm run release`'s build, once per test process, into a temporary directory, signed with a key
 * generated for the run. The executables come from the build cache when the provider is unchanged
 * (a cold build takes minutes; see BENCHMARKS.md).
 */
export function testRelease(): Promise<TestRelease> {
  release ??= (async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-release-"));
    const gnupgHome = path.join(root, "gnupg");
    fs.mkdirSync(gnupgHome, { mode: 0o700 });
    process.on("exit", () => {
      try {
        execFileSync("gpgconf", ["--kill", "gpg-agent"], {
          env: { ...process.env, GNUPGHOME: gnupgHome },
          stdio: "ignore",
        });
      } catch {
        // no agent was started
      }
      fs.rmSync(root, { recursive: true, force: true });
    });
    execFileSync(
      "gpg",
      [
        "--batch",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
        "--quick-gen-key",
        KEY_UID,
        "rsa2048",
        "sign",
        "1d",
      ],
      { env: { ...process.env, GNUPGHOME: gnupgHome }, stdio: "ignore" },
    );
    const built = await buildRelease({
      outDir: path.join(root, "release"),
      signer: { key: KEY_UID, home: gnupgHome },
      log: (line) => console.log(`      release: ${line}`),
    });
    return { ...built, gnupgHome, keyUid: KEY_UID };
  })();
  return release;
}
