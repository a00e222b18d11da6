import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { repoRoot } from "../../tools/cli/paths";
import { filesUnder, generateSdks, HAND_KEPT, SDK_LANGUAGES } from "../../tools/sdk";

function toolDir(script: string): string {
  const out = execFileSync("bash", [path.join(repoRoot(), "tools", "build", script)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop() ?? "";
}

function goBinary(): string {
  const candidates = [
    ...(process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "go")),
    "/usr/local/go/bin/go",
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error("the Go SDK test needs Go (as the CLI builds do)");
  return found;
}

/**
 * The SDKs generated from the plugin's schema: committed, current, and usable. Go and Python are
 * built and imported here; programs in those languages are not run end to end.
 */
describe("the generated SDKs", function () {
  this.timeout(15 * 60 * 1000);
  const sdkDir = path.join(repoRoot(), "sdk");
  let scratch: string;
  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-sdks-"));
  });
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("are what the schema generates today (run `npm run sdk` after a schema change)", () => {
    const fresh = path.join(scratch, "fresh");
    generateSdks(fresh);
    for (const language of SDK_LANGUAGES) {
      const committed = filesUnder(path.join(sdkDir, language)).filter((f) => !HAND_KEPT.has(`${language}/${f}`));
      expect(committed, `files of sdk/${language}`).to.deep.equal(filesUnder(path.join(fresh, language)));
      for (const file of committed) {
        const want = fs.readFileSync(path.join(fresh, language, file), "utf8");
        expect(fs.readFileSync(path.join(sdkDir, language, file), "utf8"), `sdk/${language}/${file}`).to.equal(want);
      }
    }
  });

  it("Go: the module compiles with go build", () => {
    execFileSync(goBinary(), ["build", "./..."], {
      cwd: path.join(sdkDir, "go"),
      env: { ...process.env, GOFLAGS: "-mod=readonly" },
      stdio: ["ignore", "inherit", "inherit"],
    });
  });

  it("Python: installs next to the pulumi package from PyPI and imports", () => {
    const venv = toolDir("setup-python-pulumi.sh");
    const python = path.join(venv, "bin", "python");
    const source = path.join(scratch, "python-source");
    const target = path.join(scratch, "site");
    fs.cpSync(path.join(sdkDir, "python"), source, { recursive: true });
    execFileSync(
      python,
      [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--target",
        target,
        source,
      ],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    const script = [
      "import json, pulumi, pulumi_nestedvirt as nv",
      "args = nv.EnablementArgs(instance_id='i-0123456789abcdef0', nested_virtualization=nv.NestedVirtualization.ENABLED)",
      "print(json.dumps({'resource': nv.Enablement.__name__, 'provider': nv.Provider.__name__,",
      "  'settings': [s.value for s in nv.NestedVirtualization], 'instanceId': args.instance_id}))",
    ].join("\n");
    const out = execFileSync(python, ["-c", script], { encoding: "utf8", env: { ...process.env, PYTHONPATH: target } });
    expect(JSON.parse(out)).to.deep.equal({
      resource: "Enablement",
      provider: "Provider",
      settings: ["enabled", "disabled"],
      instanceId: "i-0123456789abcdef0",
    });
  });
});
