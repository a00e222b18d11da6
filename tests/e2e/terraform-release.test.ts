import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import type { ReleasedTarget } from "../../tools/build/release/build";
import { hostTarget } from "../../tools/build/release/targets";
import { cliVersion, PROVIDER_ADDRESS, setupTerraformCli, TerraformWorkspace } from "../../tools/cli/terraform";
import { type HttpsMirror, startHttpsMirror } from "../release/support/https-mirror";
import {
  type MirrorKind,
  mirrorCliConfig,
  writeNetworkMirror,
  writePackedMirror,
  writeUnpackedMirror,
} from "../release/support/mirrors";
import { type TestRelease, testRelease } from "../release/support/test-release";
import { configuration, flat } from "./support/terraform-project";

const FULL_CYCLE = ["CreateTags", "StopInstances", "ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"];

/** `Installed nestedvirt/nestedvirt v0.1.0` (Terraform) or with the full address (OpenTofu). */
const installed = (version: string) =>
  new RegExp(`Installed (registry\\.terraform\\.io/)?nestedvirt/nestedvirt v${version.replaceAll(".", "\\.")} `);

/**
 * The released executable as Terraform and OpenTofu users install it: from the registry-format
 * zips in a packed filesystem mirror, from an unpacked mirror, and from a network mirror over
 * HTTPS. PATH holds no `node`, so only the single executable can be what runs.
 */
describe("the released provider, installed from mirrors by Terraform and OpenTofu without Node.js", function () {
  this.timeout(10 * 60 * 1000);
  let release: TestRelease;
  let host: ReleasedTarget;
  let root: string;
  let emptyPath: string;
  let emulator: Ec2Emulator;
  let https: HttpsMirror;
  /** terraform from PATH (when there is one) and the pinned OpenTofu build. */
  let clis: { path: string; name: string }[];
  const locations = {} as Record<MirrorKind, string>;

  before(async function () {
    this.timeout(45 * 60 * 1000); // a cold release build and a cold OpenTofu build take minutes each
    const target = hostTarget();
    if (target?.name !== "linux_amd64")
      throw new Error(`these tests run the linux_amd64 executable; this is ${process.platform}/${process.arch}`);
    release = await testRelease();
    host = release.targets.find((t) => t.target.name === target.name) as ReleasedTarget;
    const paths = new Set([
      setupTerraformCli(),
      setupTerraformCli({ ...process.env, NESTEDVIRT_TERRAFORM_FROM_PATH: "0" }),
    ]);
    clis = [...paths].map((cli) => ({ path: cli, name: cliVersion(cli) }));
    console.log(`      CLIs: ${clis.map((c) => `${c.name} (${c.path})`).join(", ")}`);

    root = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-mirrors-"));
    emptyPath = path.join(root, "empty-path");
    fs.mkdirSync(emptyPath);
    locations["packed filesystem_mirror"] = path.join(root, "packed");
    writePackedMirror(locations["packed filesystem_mirror"], release);
    locations["unpacked filesystem_mirror"] = path.join(root, "unpacked");
    writeUnpackedMirror(locations["unpacked filesystem_mirror"], release, host);
    writeNetworkMirror(path.join(root, "served", "good"), release);
    writeNetworkMirror(
      path.join(root, "served", "tampered"),
      release,
      () => `h1:${Buffer.alloc(32, 7).toString("base64")}`,
    );
    fs.mkdirSync(path.join(root, "tls"));
    https = await startHttpsMirror(path.join(root, "served"), path.join(root, "tls"));
    locations.network_mirror = `${https.url}good/`;
    emulator = await startEmulator({ stoppingMs: 200, pendingMs: 200 });
  });
  after(async () => {
    await emulator?.close();
    await https?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  function workspace(name: string, cli: { path: string }, cliConfig: string): TerraformWorkspace {
    return new TerraformWorkspace({
      workingDir: path.join(root, "work", name),
      cliPath: cli.path,
      pluginDir: path.join(root, "cli-config", name),
      packageDir: "",
      cliConfig,
      extraEnv: { PATH: emptyPath, SSL_CERT_FILE: https.caFile },
    });
  }

  for (const kind of ["packed filesystem_mirror", "unpacked filesystem_mirror", "network_mirror"] as MirrorKind[]) {
    it(`${kind}: init installs and locks the verified package; plan, apply and destroy run the executable`, async () => {
      for (const cli of clis) {
        const label = `${kind} with ${cli.name}`;
        const instanceId = emulator.addInstance({
          instanceType: "m8i.large",
          state: "running",
          nestedVirtualization: "disabled",
        });
        const work = workspace(
          `${kind.replace(/\W+/g, "-")}-${path.basename(cli.path)}`,
          cli,
          mirrorCliConfig(kind, locations[kind]),
        );
        work.writeFile(
          "main.tf",
          configuration(emulator.endpoint, [
            { name: "kvm", instanceId, onDelete: "restore", timeouts: { stop: "2m", start: "2m" } },
          ]),
        );
        https.requests.length = 0;

        const init = await work.ok(["init"]);
        expect(init.stdout, label).to.match(installed(release.version));
        const lock = fs.readFileSync(path.join(work.workingDir, ".terraform.lock.hcl"), "utf8");
        expect(lock, label).to.contain(`provider "${PROVIDER_ADDRESS}"`).and.contain(`version = "${release.version}"`);
        expect(lock, `${label}: the lock holds the package's h1 hash`).to.contain(`"${host.h1}"`);
        if (kind === "network_mirror") {
          const base = `/good/${PROVIDER_ADDRESS}`;
          expect(https.requests, label).to.include.members([
            `${base}/index.json`,
            `${base}/${release.version}.json`,
            `${base}/${path.basename(host.zip)}`,
          ]);
        }

        emulator.resetCalls();
        const plan = await work.ok(["plan"]);
        expect(flat(plan.stdout), label).to.contain("Plan: 1 to add, 0 to change, 0 to destroy.");
        expect(emulator.mutatingCalls(), label).to.deep.equal([]);

        // apply enables; destroy (on_delete = "restore") cycles the instance back.
        for (const [command, summary, setting] of [
          ["apply", "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.", "enabled"],
          ["destroy", "Destroy complete! Resources: 1 destroyed.", "disabled"],
        ]) {
          emulator.resetCalls();
          const result = await work.ok([command, "-auto-approve"]);
          expect(result.stdout, label).to.contain(summary);
          expect(
            emulator.mutatingCalls().map((c) => c.action),
            `${label}: ${command}`,
          ).to.deep.equal(FULL_CYCLE);
          expect(emulator.instance(instanceId), label).to.deep.include({
            state: "running",
            nestedVirtualization: setting,
          });
        }
      }
    });
  }

  it("network_mirror: init refuses a package whose hash differs from the one the mirror lists, and installs nothing", async () => {
    for (const cli of clis) {
      const work = workspace(
        `tampered-${path.basename(cli.path)}`,
        cli,
        mirrorCliConfig("network_mirror", `${https.url}tampered/`),
      );
      work.writeFile("main.tf", configuration(emulator.endpoint, []));
      const init = await work.run(["init"]);
      expect(init.code, cli.name).to.not.equal(0);
      expect(flat(init.stderr), cli.name).to.match(/checksum/i);
      expect(fs.existsSync(path.join(work.workingDir, ".terraform.lock.hcl")), cli.name).to.equal(false);
    }
  });
});
