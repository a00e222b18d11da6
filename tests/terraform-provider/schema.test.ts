import { expect } from "chai";
import { ATTRIBUTES, TIMEOUT_FIELDS, TIMING_FIELDS } from "../../provider/engine/schema";
import type { SchemaAttribute } from "../../provider/terraform/protocol/messages";
import {
  providerSchema,
  RESOURCE_SCHEMA_VERSION,
  RESOURCE_TYPE_NAME,
  RESOURCE_VALUE_TYPE,
  resourceSchema,
  tfPath,
} from "../../provider/terraform/schema";

function attributes(): Record<string, SchemaAttribute> {
  return Object.fromEntries(resourceSchema().block.attributes.map((a) => [a.name, a]));
}

const typeOf = (a: SchemaAttribute): unknown => JSON.parse(a.type.toString("utf8"));

describe("Terraform schema (derived from provider/engine/schema.ts)", () => {
  it("names the resource nestedvirt_enablement at schema version 3", () => {
    expect(RESOURCE_TYPE_NAME).to.equal("nestedvirt_enablement");
    expect(resourceSchema().version).to.equal(RESOURCE_SCHEMA_VERSION).and.to.equal(3);
  });

  it("has every engine attribute under its tfName, plus id, with timeouts as a block", () => {
    const names = Object.keys(attributes()).sort();
    const expected = [...ATTRIBUTES.filter((a) => a.kind !== "timeouts").map((a) => a.tfName), "id"].sort();
    expect(names).to.deep.equal(expected);
    const blocks = resourceSchema().block.block_types;
    expect(blocks.map((b) => [b.type_name, b.nesting])).to.deep.equal([["timeouts", "SINGLE"]]);
    const timeoutFields = blocks[0].block.attributes;
    expect(timeoutFields.map((f) => f.name)).to.deep.equal(TIMEOUT_FIELDS.map((f) => f.name));
    for (const field of timeoutFields) {
      expect(typeOf(field)).to.equal("string");
      expect([field.optional, field.required, field.computed]).to.deep.equal([true, false, false]);
    }
  });

  it("makes instance_id required, inputs with defaults optional+computed, outputs computed", () => {
    const a = attributes();
    const flags = (name: string) => [a[name].required, a[name].optional, a[name].computed];
    expect(flags("instance_id")).to.deep.equal([true, false, false]);
    for (const name of ["nested_virtualization", "region", "allow_auto_scaling_group_member", "on_delete"]) {
      expect(flags(name), name).to.deep.equal([false, true, true]);
    }
    for (const name of [
      "id",
      "instance_type",
      "instance_state",
      "previous_nested_virtualization",
      "warnings",
      "last_cycle",
    ]) {
      expect(flags(name), name).to.deep.equal([false, false, true]);
    }
  });

  it("marks allow_auto_scaling_group_member deprecated (Terraform warns when a configuration sets it), auto_scaling not", () => {
    const a = attributes();
    expect(a.allow_auto_scaling_group_member.deprecated).to.equal(true);
    expect(a.auto_scaling.deprecated).to.equal(undefined);
    expect(typeOf(a.auto_scaling)).to.equal("string");
  });

  it("gives each attribute its cty type", () => {
    const a = attributes();
    expect(typeOf(a.instance_id)).to.equal("string");
    expect(typeOf(a.allow_auto_scaling_group_member)).to.equal("bool");
    expect(typeOf(a.warnings)).to.deep.equal(["list", "string"]);
    expect(typeOf(a.last_cycle)).to.deep.equal([
      "object",
      Object.fromEntries(TIMING_FIELDS.map((f) => [f.tfName, f.kind])),
    ]);
  });

  it("carries the engine's descriptions as markdown, with allowed values and defaults", () => {
    const a = attributes();
    for (const spec of ATTRIBUTES.filter((s) => s.kind !== "timeouts")) {
      expect(a[spec.tfName].description).to.contain(spec.description);
      expect(a[spec.tfName].description_kind).to.equal("MARKDOWN");
    }
    expect(a.on_delete.description).to.contain("`keep`, `restore`").and.contain("Defaults to `keep`");
    expect(a.last_cycle.description).to.contain("`downtime_seconds`");
    expect(resourceSchema().block.block_types[0].block.description).to.contain("`stop`, `start` and `healthy`");
  });

  it("describes a value type that matches the schema (attributes and the block)", () => {
    const [, fields] = RESOURCE_VALUE_TYPE as readonly ["object", Record<string, unknown>];
    expect(Object.keys(fields).sort()).to.deep.equal([...Object.keys(attributes()), "timeouts"].sort());
    expect(fields.timeouts).to.deep.equal(["object", { stop: "string", start: "string", healthy: "string" }]);
  });

  it("offers region, profile and endpoint as optional provider settings", () => {
    const provider = providerSchema().block.attributes;
    expect(provider.map((p) => p.name)).to.deep.equal(["region", "profile", "endpoint"]);
    for (const p of provider)
      expect([p.optional, p.required, p.computed, typeOf(p)]).to.deep.equal([true, false, false, "string"]);
  });

  it("maps engine names and sub-fields to Terraform attribute paths", () => {
    expect(tfPath("instanceId")).to.deep.equal(["instance_id"]);
    expect(tfPath("timeouts.stop")).to.deep.equal(["timeouts", "stop"]);
    expect(tfPath("allowAutoScalingGroupMember")).to.deep.equal(["allow_auto_scaling_group_member"]);
  });
});
