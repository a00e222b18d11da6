import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { ATTRIBUTES } from "../../provider/engine/schema";
import { ENABLEMENT_TOKEN, pulumiSchema } from "../../provider/plugin/schema";
import { readAwsStackSettings, stackOfUrn } from "../../provider/plugin/stack-config";

interface ResourceSpec {
  inputProperties: Record<string, { willReplaceOnChanges?: boolean; default?: unknown; deprecationMessage?: string }>;
  requiredInputs: string[];
  properties: Record<string, unknown>;
}

describe("the plugin's Pulumi package schema", () => {
  const schema = pulumiSchema("1.2.3");
  const resource = (schema.resources as Record<string, ResourceSpec>)[ENABLEMENT_TOKEN];

  it("keeps the resource token nestedvirt:index:Enablement", () => {
    expect(ENABLEMENT_TOKEN).to.equal("nestedvirt:index:Enablement");
    expect(schema).to.include({ name: "nestedvirt", version: "1.2.3" });
  });

  it("has every attribute of the engine's schema, inputs as inputs, with defaults and replacements", () => {
    expect(Object.keys(resource.properties).sort()).to.deep.equal(ATTRIBUTES.map((a) => a.name).sort());
    const inputs = ATTRIBUTES.filter((a) => a.role === "input");
    expect(Object.keys(resource.inputProperties).sort()).to.deep.equal(inputs.map((a) => a.name).sort());
    expect(resource.requiredInputs).to.deep.equal(inputs.filter((a) => a.required).map((a) => a.name));
    for (const spec of inputs) {
      const property = resource.inputProperties[spec.name];
      expect(property.willReplaceOnChanges === true, spec.name).to.equal(spec.forcesReplacement === true);
      expect(property.default, spec.name).to.equal(spec.defaultValue);
    }
  });

  it("marks the deprecated allowAutoScalingGroupMember and points at autoScaling", () => {
    expect(resource.inputProperties.allowAutoScalingGroupMember.deprecationMessage).to.contain('autoScaling = "allow"');
    expect(resource.inputProperties.autoScaling).to.include({ default: "refuse" });
    expect(resource.inputProperties.autoScaling.deprecationMessage).to.equal(undefined);
  });

  it("configures region and profile on the provider", () => {
    expect(Object.keys((schema.provider as { inputProperties: object }).inputProperties)).to.deep.equal([
      "region",
      "profile",
    ]);
  });
});

describe("aws:region and aws:profile from the stack's config file", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-stack-config-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the stack's plain values, falling back to the project's defaults", () => {
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      "name: p\nruntime: yaml\nconfig:\n  aws:profile:\n    default: ci\n",
    );
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  aws:region: eu-west-1\n");
    expect(readAwsStackSettings(dir, "dev")).to.deep.equal({ region: "eu-west-1", profile: "ci" });
  });

  it("honours stackConfigDir and ignores secrets", () => {
    fs.mkdirSync(path.join(dir, "stacks"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: p\nruntime: yaml\nstackConfigDir: stacks\n");
    fs.writeFileSync(
      path.join(dir, "stacks", "Pulumi.prod.yaml"),
      "config:\n  aws:region: us-west-2\n  aws:profile:\n    secure: AAABAG…\n",
    );
    expect(readAwsStackSettings(dir, "prod")).to.deep.equal({ region: "us-west-2", profile: undefined });
  });

  it("reads nothing where there is no project", () => {
    expect(readAwsStackSettings(dir, "dev")).to.deep.equal({ region: undefined, profile: undefined });
  });

  it("takes the stack's name from a resource URN", () => {
    expect(stackOfUrn("urn:pulumi:dev::proj::nestedvirt:index:Enablement::kvm")).to.equal("dev");
  });
});
