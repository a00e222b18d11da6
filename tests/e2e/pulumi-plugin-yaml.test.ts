import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import type { Ec2Emulator } from "../../emulator";
import type { PulumiWorkspace } from "../../tools/cli/pulumi";
import { useEmulatedStacks } from "./support/emulated-stacks";
import { createYamlProject, importEnablement, type PluginProject } from "./support/plugin-project";

const TYPE = "nestedvirt:index:Enablement";
const FULL_CYCLE = ["CreateTags", "StopInstances", "ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"];

/** The CLI's diagnostics block for one resource: `nestedvirt:index:Enablement (kvm):` and what follows. */
function diagnosticsOf(output: string, name: string): string {
  const start = output.indexOf(`${TYPE} (${name}):`);
  if (start < 0) return "";
  const rest = output.slice(start);
  const end = rest.search(/\n\S|\n {2}\S+ \(/);
  return end > 0 ? rest.slice(0, end + 1) : rest;
}

/**
 * The provider plugin from a Pulumi YAML program, with the real CLI and the YAML language host
 * built from Go modules; the plugin is the `provider/plugin` directory of the packed package.
 */
describe("the provider plugin from a Pulumi YAML program", function () {
  this.timeout(20 * 60 * 1000);
  let project: PluginProject;
  let emulator: Ec2Emulator;
  const stackFor = useEmulatedStacks(createYamlProject, (created, started) => {
    project = created;
    emulator = started;
  });

  describe("one instance through its life", () => {
    let workspace: PulumiWorkspace;
    let instanceId: string;

    before(async () => {
      instanceId = emulator.addInstance({
        instanceType: "m8i.large",
        state: "running",
        nestedVirtualization: "disabled",
        publicIp: "ephemeral",
      });
      workspace = await stackFor("life", { instanceId, "nestedvirt:region": "us-west-2" });
    });
    beforeEach(() => emulator.resetCalls());

    it("preview shows the pending create and, under the resource, the warning about the public IP", async () => {
      const preview = await workspace.ok(["preview", "--stack", workspace.stack]);
      expect(preview.stdout).to.match(new RegExp(`\\+\\s+${TYPE} kvm create`));
      expect(diagnosticsOf(preview.stdout, "kvm")).to.contain(
        `warning: Instance ${instanceId} will get a new public IPv4 address`,
      );
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("up runs the cycle, prints the warning again and records the provider's region", async () => {
      const up = await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
      expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(FULL_CYCLE);
      expect(diagnosticsOf(up.stdout, "kvm")).to.contain("new public IPv4 address");
      expect(await workspace.outputs()).to.deep.include({
        nestedVirtualization: "enabled",
        instanceState: "running",
        previousNestedVirtualization: "disabled",
      });
      // `nestedvirt:region` reached the provider through Configure (AWS_REGION is us-east-1).
      const state = await workspace.exportState();
      expect(state.resources?.find((r) => r.type === TYPE)?.inputs?.region).to.equal("us-west-2");
    });

    it("refresh records drift made outside Pulumi, and the next up repairs it", async () => {
      emulator.setNestedVirtualization(instanceId, "disabled");
      await workspace.ok(["refresh", "--yes", "--stack", workspace.stack]);
      const state = await workspace.exportState();
      expect(state.resources?.find((r) => r.type === TYPE)?.outputs?.nestedVirtualization).to.equal("disabled");
      const preview = await workspace.ok(["preview", "--diff", "--stack", workspace.stack]);
      expect(preview.stdout).to.match(/~ nestedVirtualization\s*: "disabled" => "enabled"/);
      expect(emulator.mutatingCalls()).to.deep.equal([]);
      await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
      expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(FULL_CYCLE);
      expect(emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
    });

    it("destroy keeps the setting (onDelete=keep) and makes no mutating call", async () => {
      await workspace.ok(["destroy", "--yes", "--skip-preview", "--stack", workspace.stack]);
      expect(emulator.mutatingCalls()).to.deep.equal([]);
      expect(emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
    });
  });

  it("pulumi import adopts an instance as it is, writes the YAML for it and touches nothing", async () => {
    const managed = emulator.addInstance({
      instanceType: "m8i.large",
      state: "stopped",
      nestedVirtualization: "enabled",
    });
    const existing = emulator.addInstance({
      instanceType: "c8i.xlarge",
      state: "running",
      nestedVirtualization: "disabled",
    });
    // aws:region, as @pulumi/aws users set it, applies when the provider has no region of its own.
    const workspace = await stackFor("import", { instanceId: managed, "aws:region": "eu-west-1" });
    emulator.resetCalls();
    const generated = path.join(project.dir, "imported.yaml");
    await importEnablement(workspace, "adopted", existing, "--protect=false", "--out", generated);
    expect(emulator.mutatingCalls()).to.deep.equal([]);
    const code = fs.readFileSync(generated, "utf8");
    expect(code).to.contain(`instanceId: ${existing}`).and.contain("nestedVirtualization: disabled");

    const state = await workspace.exportState();
    const imported = state.resources?.find((r) => r.type === TYPE && r.urn.endsWith("::adopted"));
    expect(imported?.id).to.equal(existing);
    expect(imported?.inputs).to.deep.include({
      instanceId: existing,
      nestedVirtualization: "disabled",
      region: "eu-west-1",
    });
    expect(imported?.outputs).to.deep.include({ instanceType: "c8i.xlarge", instanceState: "running" });
  });

  it("a blocker fails the preview with the engine's message under the resource, before any change", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m6i.large", state: "running" });
    const workspace = await stackFor("blocked", { instanceId });
    emulator.resetCalls();
    const preview = await workspace.run(["preview", "--stack", workspace.stack]);
    expect(preview.code).to.not.equal(0);
    expect(diagnosticsOf(preview.stdout, "kvm"))
      .to.contain("does not support nested virtualization")
      .and.contain(instanceId);
    expect(emulator.mutatingCalls()).to.deep.equal([]);
  });
});
