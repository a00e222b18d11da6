import { expect } from "chai";
import { Unknown, type CtyObject, type CtyValue } from "../../provider/terraform/cty";
import {
  applyResourceChange,
  importResourceState,
  planResourceChange,
  readResource,
  upgradeResourceState,
  validateResourceConfig,
  type ResourceContext,
} from "../../provider/terraform/resource";
import { RESOURCE_VALUE_TYPE, TERRAFORM_ATTRIBUTES } from "../../provider/terraform/schema";
import { FakeEc2 } from "./support/fakeEngine";

const ID = "i-0123456789abcdef0";
const [, FIELDS] = RESOURCE_VALUE_TYPE as readonly ["object", Record<string, unknown>];
const COMPUTED = new Set(["id", ...TERRAFORM_ATTRIBUTES.filter((a) => a.computed).map((a) => a.spec.tfName)]);

/** A resource value as Terraform sends it: every attribute present, null unless given. */
function value(fields: Record<string, CtyValue> = {}): CtyObject {
  return { ...Object.fromEntries(Object.keys(FIELDS).map((name) => [name, null])), ...fields };
}

/** Terraform's proposed new state: config, with computed attributes the config leaves null taken from prior. */
function proposed(prior: CtyObject | null, config: CtyObject): CtyObject {
  return Object.fromEntries(
    Object.entries(config).map(([name, v]) => [name, v === null && COMPUTED.has(name) && prior ? prior[name] : v]),
  );
}

function setup(instance: Parameters<FakeEc2["add"]>[1] = {}) {
  const ec2 = new FakeEc2();
  ec2.add(ID, instance);
  const context: ResourceContext = { connection: { region: "eu-central-1" }, access: ec2.access("us-east-1") };
  return { ec2, context };
}

async function create(context: ResourceContext, config: CtyObject) {
  const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
  const applied = await applyResourceChange({ prior: null, planned: plan.planned, config }, context);
  return { plan, applied, state: applied.newState as CtyObject };
}

describe("nestedvirt_enablement lifecycle (fake engine)", () => {
  describe("validation", () => {
    it("reports a malformed instance_id against instance_id, in Terraform's names", () => {
      const [diagnostic, ...rest] = validateResourceConfig(value({ instance_id: "i-XYZ" }));
      expect(rest).to.deep.equal([]);
      expect(diagnostic.severity).to.equal("ERROR");
      expect(diagnostic.summary).to.equal("Invalid instance_id");
      expect(diagnostic.detail).to.match(/^instance_id "i-XYZ" is not an EC2 instance ID/);
      expect(diagnostic.attribute).to.deep.equal({ steps: [{ attribute_name: "instance_id" }] });
    });

    it("reports a bad timeout against timeouts.stop", () => {
      const [diagnostic] = validateResourceConfig(value({ instance_id: ID, timeouts: { stop: "soon", start: null } }));
      expect(diagnostic.attribute).to.deep.equal({ steps: [{ attribute_name: "timeouts" }, { attribute_name: "stop" }] });
    });

    it("uses snake_case names in enum messages", () => {
      const [diagnostic] = validateResourceConfig(value({ instance_id: ID, on_delete: "later" }));
      expect(diagnostic.detail).to.match(/^on_delete must be one of "keep", "restore"/);
      expect(diagnostic.attribute?.steps).to.deep.equal([{ attribute_name: "on_delete" }]);
    });

    it("does not judge values that are still unknown", () => {
      expect(validateResourceConfig(value({ instance_id: Unknown, timeouts: { stop: Unknown, start: null } }))).to.deep.equal([]);
    });
  });

  describe("plan", () => {
    it("plans a create with defaults, the provider region, id = instance_id and outputs unknown", async () => {
      const { ec2, context } = setup();
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      const planned = plan.planned as CtyObject;
      expect(planned).to.include({ id: ID, instance_id: ID, nested_virtualization: "enabled", on_delete: "keep", allow_auto_scaling_group_member: false, region: "eu-central-1" });
      for (const name of ["instance_state", "instance_type", "warnings", "last_cycle", "previous_nested_virtualization"]) expect(planned[name], name).to.equal(Unknown);
      expect(plan.requiresReplace).to.deep.equal([]);
      expect(plan.diagnostics.map((d) => [d.severity, d.detail])).to.deep.equal([["WARNING", `Instance ${ID} will get a new public IPv4 address.`]]);
      expect(ec2.calls).to.deep.equal([{ method: "inspect", instanceId: ID, region: "eu-central-1" }]);
    });

    it("lets the resource's region override the provider's", async () => {
      const { ec2, context } = setup();
      const config = value({ instance_id: ID, region: "ap-south-1" });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect((plan.planned as CtyObject).region).to.equal("ap-south-1");
      expect(ec2.calls[0].region).to.equal("ap-south-1");
    });

    it("falls back to the SDK's region when neither the resource nor the provider sets one", async () => {
      const { context } = setup();
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, { ...context, connection: {} });
      expect((plan.planned as CtyObject).region).to.equal("us-east-1");
    });

    it("does not look at EC2 while instance_id is unknown", async () => {
      const { ec2, context } = setup();
      const config = value({ instance_id: Unknown });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect((plan.planned as CtyObject).id).to.equal(Unknown);
      expect(plan.diagnostics).to.deep.equal([]);
      expect(ec2.calls).to.deep.equal([]);
    });

    it("turns a blocker into an error on instance_id", async () => {
      const { context } = setup({ instanceType: "t3.micro" });
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(plan.diagnostics).to.have.length(1);
      expect(plan.diagnostics[0]).to.deep.include({ severity: "ERROR", summary: `Cannot change nested virtualization on ${ID}` });
      expect(plan.diagnostics[0].attribute).to.deep.equal({ steps: [{ attribute_name: "instance_id" }] });
      expect(plan.diagnostics[0].detail).to.contain("t3.micro");
    });

    it("reports input errors and skips EC2", async () => {
      const { ec2, context } = setup();
      const config = value({ instance_id: ID, nested_virtualization: "on" });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(plan.diagnostics.map((d) => d.attribute?.steps[0].attribute_name)).to.deep.equal(["nested_virtualization"]);
      expect(ec2.calls).to.deep.equal([]);
    });

    it("keeps everything from prior state when nothing changes, without calling EC2", async () => {
      const { ec2, context } = setup();
      const config = value({ instance_id: ID });
      const { state } = await create(context, config);
      ec2.calls.length = 0;
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      expect(plan.planned).to.deep.equal(state);
      expect(plan.requiresReplace).to.deep.equal([]);
      expect(ec2.calls).to.deep.equal([]);
    });

    it("plans an update with the cycle's outcome unknown and the original setting kept", async () => {
      const { context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      const config = value({ instance_id: ID, nested_virtualization: "disabled" });
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      const planned = plan.planned as CtyObject;
      expect(planned.nested_virtualization).to.equal("disabled");
      expect([planned.instance_state, planned.warnings, planned.last_cycle]).to.deep.equal([Unknown, Unknown, Unknown]);
      expect(planned.previous_nested_virtualization).to.equal("disabled");
      expect(planned.instance_type).to.equal("m8i.large");
    });

    it("goes back to the default when an input is removed from the config", async () => {
      const { context } = setup();
      const { state } = await create(context, value({ instance_id: ID, on_delete: "restore" }));
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      expect((plan.planned as CtyObject).on_delete).to.equal("keep");
    });

    it("requires replacement when instance_id changes", async () => {
      const { ec2, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      ec2.calls.length = 0;
      const config = value({ instance_id: "i-0aaaaaaaaaaaaaaaa" });
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      expect(plan.requiresReplace).to.deep.equal([["instance_id"]]);
      expect((plan.planned as CtyObject).instance_type).to.equal(Unknown);
      expect(ec2.calls).to.deep.equal([]);
    });

    it("requires replacement when the configured region changes, not when region is left out", async () => {
      const { context } = setup();
      const { state } = await create(context, value({ instance_id: ID, region: "eu-west-1" }));
      const moved = value({ instance_id: ID, region: "eu-west-2" });
      expect((await planResourceChange({ prior: state, proposed: proposed(state, moved), config: moved }, context)).requiresReplace).to.deep.equal([["region"]]);
      const omitted = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, omitted), config: omitted }, context);
      expect(plan.requiresReplace).to.deep.equal([]);
      expect((plan.planned as CtyObject).region).to.equal("eu-west-1");
    });

    it("plans a destroy as null", async () => {
      const { context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      expect((await planResourceChange({ prior: state, proposed: null, config: null }, context)).planned).to.equal(null);
    });
  });

  describe("apply", () => {
    it("creates: runs the cycle and records its outcome", async () => {
      const { ec2, context } = setup();
      const { applied, state } = await create(context, value({ instance_id: ID, timeouts: { stop: "5m", start: null } }));
      expect(applied.diagnostics).to.deep.equal([]);
      expect(state).to.deep.include({
        id: ID,
        nested_virtualization: "enabled",
        previous_nested_virtualization: "disabled",
        instance_state: "running",
        instance_type: "m8i.large",
        region: "eu-central-1",
      });
      expect(state.timeouts).to.deep.equal({ stop: "5m", start: null });
      expect(state.warnings).to.deep.equal([`Instance ${ID} will get a new public IPv4 address.`]);
      expect(state.last_cycle).to.deep.include({ downtime_seconds: 42 });
      expect(ec2.get(ID)?.nestedVirtualization).to.equal("enabled");
    });

    it("records no cycle when the instance already has the setting", async () => {
      const { state } = await create(setup({ nestedVirtualization: "enabled" }).context, value({ instance_id: ID }));
      expect(state.last_cycle).to.equal(null);
      expect(state.warnings).to.deep.equal([]);
      expect(state.previous_nested_virtualization).to.equal("enabled");
    });

    it("keeps the values the plan promised when an update needs no cycle", async () => {
      const { context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      const config = value({ instance_id: ID, on_delete: "restore" });
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      const applied = await applyResourceChange({ prior: state, planned: plan.planned, config }, context);
      expect(applied.newState).to.deep.equal({ ...state, on_delete: "restore" });
    });

    it("reports an engine refusal and creates nothing", async () => {
      const { context } = setup({ instanceType: "t3.micro" });
      const config = value({ instance_id: ID });
      const planned = value({ ...config, id: ID, nested_virtualization: "enabled", on_delete: "keep", allow_auto_scaling_group_member: false, region: "eu-central-1" });
      const applied = await applyResourceChange({ prior: null, planned, config }, context);
      expect(applied.newState).to.equal(null);
      expect(applied.diagnostics[0].attribute).to.deep.equal({ steps: [{ attribute_name: "instance_id" }] });
    });

    it("deletes with on_delete = restore by putting the previous setting back", async () => {
      const { ec2, context } = setup();
      const { state } = await create(context, value({ instance_id: ID, on_delete: "restore" }));
      const applied = await applyResourceChange({ prior: state, planned: null, config: null }, context);
      expect(applied).to.deep.equal({ newState: null, diagnostics: [] });
      expect(ec2.calls.at(-1)).to.deep.equal({ method: "remove", instanceId: ID, region: "eu-central-1", setting: "disabled" });
      expect(ec2.get(ID)?.nestedVirtualization).to.equal("disabled");
    });

    it("deletes with on_delete = keep and leaves the instance alone", async () => {
      const { ec2, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      await applyResourceChange({ prior: state, planned: null, config: null }, context);
      expect(ec2.get(ID)?.nestedVirtualization).to.equal("enabled");
    });
  });

  describe("read and import", () => {
    it("shows drift in nested_virtualization", async () => {
      const { ec2, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      ec2.set(ID, { nestedVirtualization: "disabled", state: "stopped" });
      const read = await readResource(state, context);
      expect(read.newState).to.deep.equal({ ...state, nested_virtualization: "disabled", instance_state: "stopped" });
    });

    it("removes the resource from state when the instance is gone", async () => {
      const { ec2, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      ec2.set(ID, { state: "terminated" });
      expect((await readResource(state, context)).newState).to.equal(null);
    });

    it("reads in the resource's own region", async () => {
      const { ec2, context } = setup();
      const { state } = await create(context, value({ instance_id: ID, region: "sa-east-1" }));
      await readResource(state, context);
      expect(ec2.calls.at(-1)).to.deep.include({ method: "read", region: "sa-east-1" });
    });

    it("imports by instance ID; the read that follows fills what the config implies", async () => {
      const { context } = setup({ nestedVirtualization: "enabled", state: "stopped" });
      const imported = importResourceState(ID);
      expect(imported.diagnostics).to.deep.equal([]);
      expect(imported.state).to.deep.equal(value({ id: ID, instance_id: ID }));
      const read = await readResource(imported.state, context);
      expect(read.newState).to.deep.equal(
        value({
          id: ID,
          instance_id: ID,
          region: "eu-central-1",
          nested_virtualization: "enabled",
          allow_auto_scaling_group_member: false,
          on_delete: "keep",
          instance_type: "m8i.large",
          instance_state: "stopped",
          warnings: [],
        }),
      );
    });

    it("imports region/instance-id and rejects anything else", () => {
      expect((importResourceState(`us-west-2/${ID}`).state as CtyObject).region).to.equal("us-west-2");
      const bad = importResourceState("web-1");
      expect(bad.state).to.equal(null);
      expect(bad.diagnostics[0].summary).to.equal("Invalid import ID");
    });
  });

  describe("state upgrade", () => {
    const json = (object: object) => Buffer.from(JSON.stringify(object));

    it("gives version 0 state the keep behaviour it had", () => {
      const upgraded = upgradeResourceState(0, json({ id: ID, instance_id: ID, nested_virtualization: "enabled", obsolete: 1 }));
      expect(upgraded.diagnostics).to.deep.equal([]);
      expect(upgraded.state).to.deep.equal(value({ id: ID, instance_id: ID, nested_virtualization: "enabled", on_delete: "keep" }));
    });

    it("passes current state through", () => {
      const state = value({ id: ID, instance_id: ID, on_delete: "restore", warnings: ["w"], last_cycle: { stopped_at: null, modified_at: "t", started_at: null, downtime_seconds: 0 } });
      expect(upgradeResourceState(1, json(state)).state).to.deep.equal(state);
    });

    it("refuses state from a newer provider and flatmap state", () => {
      expect(upgradeResourceState(2, json({})).diagnostics[0].summary).to.equal("State written by a newer provider");
      expect(upgradeResourceState(1, undefined).diagnostics[0].summary).to.equal("Unsupported state format");
    });
  });
});
