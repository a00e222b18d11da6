import { expect } from "chai";
import type { SeedInstance } from "../../emulator";
import { type AwsConnection, createEngine, JOURNAL_TAG_KEY } from "../../provider/engine";
import { createResourceService } from "../../provider/service/resource-service";
import { type EngineAccess, engineAccess } from "../../provider/terraform/engine-access";
import { type CtyObject, type CtyValue, Unknown } from "../../provider/terraform/protocol/cty";
import {
  applyResourceChange,
  importResourceState,
  planResourceChange,
  type ResourceContext,
  readResource,
  upgradeResourceState,
  validateResourceConfig,
} from "../../provider/terraform/resource";
import { RESOURCE_SCHEMA_VERSION, RESOURCE_VALUE_TYPE, TERRAFORM_ATTRIBUTES } from "../../provider/terraform/schema";
import { FAST_TRANSITIONS, mutatingActions, useEmulator } from "../support/emulated";

const ID = "i-0123456789abcdef0";
const PROVIDER_REGION = "eu-central-1";
const FULL_CYCLE = ["CreateTags", "StopInstances", "ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"];
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

/**
 * The resource functions with the real engine and the real AWS SDK, against the EC2 emulator.
 * The engine access records the connection each engine was made for (the region routing is the
 * front end's job), and otherwise is the provider's own: createEngine, and the SDK's region chain.
 */
describe("nestedvirt_enablement lifecycle (real engine against the EC2 emulator)", () => {
  const emulated = useEmulator(FAST_TRANSITIONS);

  function setup(seed: SeedInstance = {}, connection: AwsConnection = { region: PROVIDER_REGION }) {
    const emulator = emulated.emulator;
    emulator.addInstance({
      instanceId: ID,
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
      publicIp: "ephemeral",
      ...seed,
    });
    const connections: AwsConnection[] = [];
    const sdk = engineAccess(() => undefined);
    const access: EngineAccess = {
      configure: async () => undefined,
      async engine(c) {
        connections.push(c);
        // Configured with the provider's connection: a resource's own region gets that session's sibling.
        return createEngine({ session: emulated.session.forConnection(c), pollIntervalMs: 20 });
      },
      region: (c) => sdk.region(c),
    };
    const context: ResourceContext = {
      connection: { endpoint: emulator.endpoint, ...connection },
      access,
      service: createResourceService({ engines: access.engine }),
    };
    return { emulator, context, connections };
  }

  async function create(context: ResourceContext, config: CtyObject) {
    const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
    const applied = await applyResourceChange({ prior: null, planned: plan.planned, config }, context);
    return { plan, applied, state: applied.newState as CtyObject };
  }

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
      expect(diagnostic.attribute).to.deep.equal({
        steps: [{ attribute_name: "timeouts" }, { attribute_name: "stop" }],
      });
    });

    it("uses snake_case names in enum messages", () => {
      const [diagnostic] = validateResourceConfig(value({ instance_id: ID, on_delete: "later" }));
      expect(diagnostic.detail).to.match(/^on_delete must be one of "keep", "restore"/);
      expect(diagnostic.attribute?.steps).to.deep.equal([{ attribute_name: "on_delete" }]);
    });

    it("does not judge values that are still unknown", () => {
      expect(
        validateResourceConfig(value({ instance_id: Unknown, timeouts: { stop: Unknown, start: null } })),
      ).to.deep.equal([]);
    });
  });

  describe("plan", () => {
    it("plans a create with defaults, the provider region, id = instance_id and outputs unknown; no mutating call", async () => {
      const { emulator, context, connections } = setup();
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      const planned = plan.planned as CtyObject;
      expect(planned).to.include({
        id: ID,
        instance_id: ID,
        nested_virtualization: "enabled",
        on_delete: "keep",
        allow_auto_scaling_group_member: false,
        auto_scaling: "refuse",
        region: PROVIDER_REGION,
      });
      for (const name of [
        "instance_state",
        "instance_type",
        "warnings",
        "last_cycle",
        "previous_nested_virtualization",
      ])
        expect(planned[name], name).to.equal(Unknown);
      expect(plan.requiresReplace).to.deep.equal([]);
      const publicIp = emulator.instance(ID).publicIp;
      expect(plan.diagnostics.map((d) => [d.severity, d.detail])).to.deep.equal([
        [
          "WARNING",
          `Instance ${ID} will get a new public IPv4 address: ${publicIp} is not an Elastic IP and is released when the instance stops.`,
        ],
      ]);
      expect(connections).to.deep.equal([{ endpoint: emulator.endpoint, region: PROVIDER_REGION }]);
      // It read the instance, its type and its stop protection, and asked EC2 (DryRun) whether the cycle is allowed.
      expect(emulator.calls.filter((c) => !c.dryRun).map((c) => c.action)).to.have.members([
        "DescribeInstances",
        "DescribeInstanceTypes",
        "DescribeInstanceAttribute",
      ]);
      const dryRuns = emulator.calls.filter((c) => c.dryRun);
      expect(dryRuns.map((c) => c.action)).to.include.members([
        "StopInstances",
        "ModifyInstanceCpuOptions",
        "StartInstances",
      ]);
      expect(new Set(dryRuns.map((c) => c.errorCode))).to.deep.equal(new Set(["DryRunOperation"]));
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("lets the resource's region override the provider's", async () => {
      const { emulator, context, connections } = setup();
      const config = value({ instance_id: ID, region: "ap-south-1" });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect((plan.planned as CtyObject).region).to.equal("ap-south-1");
      expect(connections).to.deep.equal([{ endpoint: emulator.endpoint, region: "ap-south-1" }]);
    });

    it("falls back to the SDK's region (AWS_REGION) when neither the resource nor the provider sets one", async () => {
      const { context, connections } = setup({}, {});
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(process.env.AWS_REGION).to.equal("us-east-1");
      expect((plan.planned as CtyObject).region).to.equal("us-east-1");
      expect(connections.map((c) => c.region)).to.deep.equal(["us-east-1"]);
    });

    it("does not look at EC2 while instance_id is unknown", async () => {
      const { emulator, context } = setup();
      const config = value({ instance_id: Unknown });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect((plan.planned as CtyObject).id).to.equal(Unknown);
      expect(plan.diagnostics).to.deep.equal([]);
      expect(emulator.calls).to.deep.equal([]);
    });

    it("turns a blocker into an error on instance_id, before any mutating call", async () => {
      const { emulator, context } = setup({ instanceType: "m6i.large" });
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(plan.diagnostics).to.have.length(1);
      expect(plan.diagnostics[0]).to.deep.include({
        severity: "ERROR",
        summary: `Cannot change nested virtualization on ${ID}`,
      });
      expect(plan.diagnostics[0].attribute).to.deep.equal({ steps: [{ attribute_name: "instance_id" }] });
      expect(plan.diagnostics[0].detail).to.contain("m6i.large").and.contain("does not support nested virtualization");
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("names auto_scaling (not the engine's name) for an Auto Scaling group member", async () => {
      const { context } = setup({ tags: { "aws:autoscaling:groupName": "ci-fleet" } });
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(plan.diagnostics.map((d) => d.severity)).to.deep.equal(["ERROR"]);
      expect(plan.diagnostics[0].detail)
        .to.contain('"ci-fleet"')
        .and.contain('Set auto_scaling to "standby"')
        .and.not.contain("autoScaling");
    });

    it("reports a missing instance with the region it looked in", async () => {
      const { context } = setup();
      const config = value({ instance_id: "i-0aaaaaaaaaaaaaaaa" });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(plan.diagnostics[0]).to.deep.include({
        severity: "ERROR",
        summary: "Instance i-0aaaaaaaaaaaaaaaa not found",
      });
      expect(plan.diagnostics[0].detail).to.contain(`was not found in region ${PROVIDER_REGION}`);
    });

    it("reports a refused DryRun as a missing permission, naming the action", async () => {
      const { emulator, context } = setup();
      emulator.permissions.deny("ModifyInstanceCpuOptions");
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(plan.diagnostics.filter((d) => d.severity === "ERROR").map((d) => d.summary)).to.deep.equal([
        `Missing EC2 permission for ${ID}`,
      ]);
      expect(plan.diagnostics[0].detail).to.contain("ec2:ModifyInstanceCpuOptions");
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("reports input errors and skips EC2", async () => {
      const { emulator, context } = setup();
      const config = value({ instance_id: ID, nested_virtualization: "on" });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(plan.diagnostics.map((d) => d.attribute?.steps[0].attribute_name)).to.deep.equal([
        "nested_virtualization",
      ]);
      expect(emulator.calls).to.deep.equal([]);
    });

    it("keeps everything from prior state when nothing changes, without calling EC2", async () => {
      const { emulator, context } = setup();
      const config = value({ instance_id: ID });
      const { state } = await create(context, config);
      emulator.resetCalls();
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      expect(plan.planned).to.deep.equal(state);
      expect(plan.requiresReplace).to.deep.equal([]);
      expect(emulator.calls).to.deep.equal([]);
    });

    it("plans an update with the cycle's outcome unknown and the original setting kept", async () => {
      const { emulator, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      emulator.resetCalls();
      const config = value({ instance_id: ID, nested_virtualization: "disabled" });
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      const planned = plan.planned as CtyObject;
      expect(planned.nested_virtualization).to.equal("disabled");
      expect([planned.instance_state, planned.warnings, planned.last_cycle]).to.deep.equal([Unknown, Unknown, Unknown]);
      expect(planned.previous_nested_virtualization).to.equal("disabled");
      expect(planned.instance_type).to.equal("m8i.large");
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("goes back to the default when an input is removed from the config", async () => {
      const { context } = setup();
      const { state } = await create(context, value({ instance_id: ID, on_delete: "restore" }));
      const config = value({ instance_id: ID });
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      expect((plan.planned as CtyObject).on_delete).to.equal("keep");
    });

    it("requires replacement when instance_id changes, without calling EC2", async () => {
      const { emulator, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      emulator.resetCalls();
      const config = value({ instance_id: "i-0aaaaaaaaaaaaaaaa" });
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      expect(plan.requiresReplace).to.deep.equal([["instance_id"]]);
      expect((plan.planned as CtyObject).instance_type).to.equal(Unknown);
      expect(emulator.calls).to.deep.equal([]);
    });

    it("requires replacement when the configured region changes, not when region is left out", async () => {
      const { context } = setup();
      const { state } = await create(context, value({ instance_id: ID, region: "eu-west-1" }));
      const moved = value({ instance_id: ID, region: "eu-west-2" });
      expect(
        (await planResourceChange({ prior: state, proposed: proposed(state, moved), config: moved }, context))
          .requiresReplace,
      ).to.deep.equal([["region"]]);
      const omitted = value({ instance_id: ID });
      const plan = await planResourceChange(
        { prior: state, proposed: proposed(state, omitted), config: omitted },
        context,
      );
      expect(plan.requiresReplace).to.deep.equal([]);
      expect((plan.planned as CtyObject).region).to.equal("eu-west-1");
    });

    it("plans a destroy as null", async () => {
      const { context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      expect((await planResourceChange({ prior: state, proposed: null, config: null }, context)).planned).to.equal(
        null,
      );
    });
  });

  describe("apply", () => {
    it("creates: runs the cycle (tag, stop, modify, start, untag) and records its outcome", async () => {
      const { emulator, context } = setup();
      const publicIp = emulator.instance(ID).publicIp;
      const { applied, state } = await create(
        context,
        value({ instance_id: ID, timeouts: { stop: "5m", start: null } }),
      );
      expect(applied.diagnostics).to.deep.equal([]);
      expect(mutatingActions(emulator)).to.deep.equal(FULL_CYCLE);
      expect(state).to.deep.include({
        id: ID,
        nested_virtualization: "enabled",
        previous_nested_virtualization: "disabled",
        instance_state: "running",
        instance_type: "m8i.large",
        region: PROVIDER_REGION,
      });
      expect(state.timeouts).to.deep.equal({ stop: "5m", start: null });
      expect(state.warnings).to.deep.equal([
        `Instance ${ID} will get a new public IPv4 address: ${publicIp} is not an Elastic IP and is released when the instance stops.`,
      ]);
      const cycle = state.last_cycle as {
        stopped_at: string;
        modified_at: string;
        started_at: string;
        downtime_seconds: number;
      };
      expect(cycle.downtime_seconds).to.be.greaterThan(0);
      expect(Date.parse(cycle.stopped_at)).to.be.at.most(Date.parse(cycle.modified_at));
      expect(Date.parse(cycle.modified_at)).to.be.at.most(Date.parse(cycle.started_at));
      const live = emulator.instance(ID);
      expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
      expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
    });

    it("modifies a stopped instance without starting it", async () => {
      const { emulator, context } = setup({ state: "stopped" });
      const { state } = await create(context, value({ instance_id: ID }));
      expect(mutatingActions(emulator)).to.deep.equal(["ModifyInstanceCpuOptions"]);
      expect(state).to.deep.include({ instance_state: "stopped", nested_virtualization: "enabled" });
      expect(state.last_cycle).to.deep.include({ stopped_at: null, started_at: null, downtime_seconds: 0 });
    });

    it("records no cycle when the instance already has the setting, and makes no mutating call", async () => {
      const { emulator, context } = setup({ nestedVirtualization: "enabled" });
      const { state } = await create(context, value({ instance_id: ID }));
      expect(state.last_cycle).to.equal(null);
      expect(state.warnings).to.deep.equal([]);
      expect(state.previous_nested_virtualization).to.equal("enabled");
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("keeps the values the plan promised when an update needs no cycle", async () => {
      const { emulator, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      emulator.resetCalls();
      const config = value({ instance_id: ID, on_delete: "restore" });
      const plan = await planResourceChange({ prior: state, proposed: proposed(state, config), config }, context);
      const applied = await applyResourceChange({ prior: state, planned: plan.planned, config }, context);
      expect(applied.newState).to.deep.equal({ ...state, on_delete: "restore" });
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("reports an engine refusal and creates nothing", async () => {
      const { emulator, context } = setup({ instanceType: "m6i.large" });
      const config = value({ instance_id: ID });
      const planned = value({
        ...config,
        id: ID,
        nested_virtualization: "enabled",
        on_delete: "keep",
        allow_auto_scaling_group_member: false,
        auto_scaling: "refuse",
        region: PROVIDER_REGION,
      });
      const applied = await applyResourceChange({ prior: null, planned, config }, context);
      expect(applied.newState).to.equal(null);
      expect(applied.diagnostics[0].attribute).to.deep.equal({ steps: [{ attribute_name: "instance_id" }] });
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("reports a stop that outlasts timeouts.stop, and leaves the journal for the next run", async () => {
      const { emulator, context } = setup();
      emulator.faults.stuckInStopping(ID);
      const { applied } = await create(context, value({ instance_id: ID, timeouts: { stop: "1s", start: null } }));
      expect(applied.newState).to.equal(null);
      expect(applied.diagnostics).to.have.length(1);
      expect(applied.diagnostics[0]).to.deep.include({
        severity: "ERROR",
        summary: `Timed out waiting for ${ID} to be stopped`,
      });
      expect(applied.diagnostics[0].detail).to.contain(`did not reach "stopped" within 1s; it is still "stopping"`);
      expect(mutatingActions(emulator)).to.deep.equal(["CreateTags", "StopInstances", "CreateTags"]);
      expect(emulator.instance(ID).tags).to.have.property(JOURNAL_TAG_KEY);
    });

    it("reports a rejected modify as a failed cycle with the instance started again as it was", async () => {
      const { emulator, context } = setup();
      emulator.faults.failNext("ModifyInstanceCpuOptions", "InvalidParameterCombination", "simulated rejection", 1, {
        dryRun: false,
      });
      const { applied } = await create(context, value({ instance_id: ID }));
      expect(applied.newState).to.equal(null);
      expect(applied.diagnostics.map((d) => d.summary)).to.deep.equal([
        `Stop/modify/start cycle failed on ${ID} (instance restored)`,
      ]);
      expect(applied.diagnostics[0].detail).to.contain("simulated rejection");
      expect(emulator.instance(ID)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
    });

    it("deletes with on_delete = restore by cycling the previous setting back", async () => {
      const { emulator, context } = setup();
      const { state } = await create(context, value({ instance_id: ID, on_delete: "restore" }));
      emulator.resetCalls();
      const applied = await applyResourceChange({ prior: state, planned: null, config: null }, context);
      expect(applied).to.deep.equal({ newState: null, diagnostics: [] });
      expect(mutatingActions(emulator)).to.deep.equal(FULL_CYCLE);
      expect(emulator.instance(ID)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
    });

    it("deletes with on_delete = keep without any EC2 call", async () => {
      const { emulator, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      emulator.resetCalls();
      expect(await applyResourceChange({ prior: state, planned: null, config: null }, context)).to.deep.equal({
        newState: null,
        diagnostics: [],
      });
      expect(emulator.calls).to.deep.equal([]);
      expect(emulator.instance(ID).nestedVirtualization).to.equal("enabled");
    });
  });

  describe("read and import", () => {
    it("shows drift in nested_virtualization and the run state", async () => {
      const { emulator, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      emulator.setNestedVirtualization(ID, "disabled");
      emulator.setState(ID, "stopped");
      emulator.resetCalls();
      const read = await readResource(state, context);
      expect(read.newState).to.deep.equal({ ...state, nested_virtualization: "disabled", instance_state: "stopped" });
      expect(emulator.calls.map((c) => c.action)).to.deep.equal(["DescribeInstances"]);
    });

    it("removes the resource from state when the instance is terminated", async () => {
      const { emulator, context } = setup();
      const { state } = await create(context, value({ instance_id: ID }));
      emulator.setState(ID, "terminated");
      expect((await readResource(state, context)).newState).to.equal(null);
    });

    it("reads in the resource's own region", async () => {
      const { emulator, context, connections } = setup();
      const { state } = await create(context, value({ instance_id: ID, region: "sa-east-1" }));
      await readResource(state, context);
      expect(connections.at(-1)).to.deep.equal({ endpoint: emulator.endpoint, region: "sa-east-1" });
    });

    it("imports by instance ID; the read that follows fills what the config implies, with no mutating call", async () => {
      const { emulator, context } = setup({ nestedVirtualization: "enabled", state: "stopped" });
      const imported = importResourceState(ID);
      expect(imported.diagnostics).to.deep.equal([]);
      expect(imported.state).to.deep.equal(value({ id: ID, instance_id: ID }));
      const read = await readResource(imported.state, context);
      expect(read.newState).to.deep.equal(
        value({
          id: ID,
          instance_id: ID,
          region: PROVIDER_REGION,
          nested_virtualization: "enabled",
          allow_auto_scaling_group_member: false,
          auto_scaling: "refuse",
          stop_protection: "refuse",
          on_delete: "keep",
          wait_for_status_checks: false,
          verify_in_guest: false,
          max_unavailable: 1,
          instance_type: "m8i.large",
          instance_state: "stopped",
          warnings: [],
        }),
      );
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("imports region/instance-id and rejects anything else", () => {
      expect((importResourceState(`us-west-2/${ID}`).state as CtyObject).region).to.equal("us-west-2");
      const bad = importResourceState("web-1");
      expect(bad.state).to.equal(null);
      expect(bad.diagnostics[0].summary).to.equal("Invalid import ID");
    });
  });

  describe("state upgrade", () => {
    const DEFAULTS = {
      nested_virtualization: "enabled",
      allow_auto_scaling_group_member: false,
      auto_scaling: "refuse",
      stop_protection: "refuse",
      on_delete: "keep",
      wait_for_status_checks: false,
      verify_in_guest: false,
      max_unavailable: 1,
    };
    const json = (object: object) => Buffer.from(JSON.stringify(object));

    it("gives version 0 state the keep behaviour it had", () => {
      const upgraded = upgradeResourceState(
        0,
        json({ id: ID, instance_id: ID, nested_virtualization: "enabled", obsolete: 1 }),
      );
      expect(upgraded.diagnostics).to.deep.equal([]);
      expect(upgraded.state).to.deep.equal(value({ id: ID, instance_id: ID, ...DEFAULTS }));
    });

    it("gives version 2 state the refuse behaviour it had for stop protection, so nothing shows as changed", () => {
      const upgraded = upgradeResourceState(
        2,
        json({ id: ID, instance_id: ID, ...DEFAULTS, stop_protection: undefined }),
      );
      expect(upgraded.state).to.deep.equal(value({ id: ID, instance_id: ID, ...DEFAULTS }));
    });

    it("gives version 1 state the defaults of the rollout and health-gate inputs, so nothing shows as changed", () => {
      const upgraded = upgradeResourceState(1, json({ id: ID, instance_id: ID, on_delete: "restore" }));
      expect(upgraded.state).to.deep.equal(value({ id: ID, instance_id: ID, ...DEFAULTS, on_delete: "restore" }));
    });

    it("gives version 2 state verify_in_guest = false, as it did no check in the guest", () => {
      const upgraded = upgradeResourceState(
        2,
        json({ id: ID, instance_id: ID, ...DEFAULTS, verify_in_guest: undefined }),
      );
      expect(upgraded.state).to.deep.equal(value({ id: ID, instance_id: ID, ...DEFAULTS }));
    });

    it("passes current state through", () => {
      const state = value({
        id: ID,
        instance_id: ID,
        on_delete: "restore",
        warnings: ["w"],
        last_cycle: {
          stopped_at: null,
          modified_at: "t",
          started_at: null,
          downtime_seconds: 0,
          healthy_at: null,
          slot_wait_seconds: 12.5,
          guest_verified_at: "g",
          start_attempts: 3,
        },
      });
      expect(upgradeResourceState(RESOURCE_SCHEMA_VERSION, json(state)).state).to.deep.equal(state);
    });

    it("gives version 2 state the auto_scaling its deprecated allow_auto_scaling_group_member meant", () => {
      for (const [allow, autoScaling] of [
        [true, "allow"],
        [false, "refuse"],
      ] as const) {
        const old = { ...value({ id: ID, instance_id: ID, allow_auto_scaling_group_member: allow }) } as Record<
          string,
          unknown
        >;
        delete old.auto_scaling;
        const upgraded = upgradeResourceState(2, json(old));
        expect(upgraded.diagnostics).to.deep.equal([]);
        expect((upgraded.state as CtyObject).auto_scaling).to.equal(autoScaling);
      }
    });

    it('plans auto_scaling = "allow" for a configuration that still sets allow_auto_scaling_group_member = true', async () => {
      const { context } = setup({ tags: { "aws:autoscaling:groupName": "ci-fleet" } });
      const config = value({ instance_id: ID, allow_auto_scaling_group_member: true });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(plan.diagnostics.filter((d) => d.severity === "ERROR")).to.deep.equal([]);
      expect((plan.planned as CtyObject).auto_scaling).to.equal("allow");
      const deprecation = plan.diagnostics.find((d) => d.summary === "Deprecated attribute");
      expect(deprecation?.detail).to.equal(
        'allow_auto_scaling_group_member is deprecated. Use auto_scaling = "allow" instead.',
      );
    });

    it("refuses allow_auto_scaling_group_member = true together with another auto_scaling", async () => {
      const { context } = setup();
      const config = value({ instance_id: ID, allow_auto_scaling_group_member: true, auto_scaling: "standby" });
      const plan = await planResourceChange({ prior: null, proposed: proposed(null, config), config }, context);
      expect(plan.diagnostics.map((d) => d.severity)).to.deep.equal(["ERROR", "WARNING"]);
      expect(plan.diagnostics[0]?.detail).to.contain(
        'auto_scaling "standby" conflicts with the deprecated allow_auto_scaling_group_member = true',
      );
    });

    it("refuses state from a newer provider and flatmap state", () => {
      expect(upgradeResourceState(RESOURCE_SCHEMA_VERSION + 1, json({})).diagnostics[0].summary).to.equal(
        "State written by a newer provider",
      );
      expect(upgradeResourceState(RESOURCE_SCHEMA_VERSION, undefined).diagnostics[0].summary).to.equal(
        "Unsupported state format",
      );
    });
  });
});
