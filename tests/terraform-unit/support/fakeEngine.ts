import * as fs from "node:fs";
import type { AppliedState, Engine, Inspection } from "../../../provider/engine/engine";
import type { AwsConnection, CyclePlan, DesiredState, EnablementState, InstanceStateName, NestedVirtSetting } from "../../../provider/engine/types";
import type { EngineAccess } from "../../../provider/terraform/engineAccess";

/**
 * An in-memory stand-in for the engine, for testing the Terraform front end without EC2.
 * Instance types starting with "t3." do not support nested virtualization; everything else does.
 * With a `file`, instances persist across processes (Terraform starts the provider per command).
 */

export interface FakeInstance {
  instanceType: string;
  state: InstanceStateName;
  nestedVirtualization: NestedVirtSetting;
}

export interface FakeCall {
  method: "inspect" | "apply" | "read" | "remove";
  instanceId: string;
  region?: string;
  setting?: NestedVirtSetting;
}

export class FakeEc2 {
  readonly calls: FakeCall[] = [];
  private instances: Record<string, FakeInstance> = {};

  constructor(private readonly file?: string) {
    if (file && fs.existsSync(file)) this.instances = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, FakeInstance>;
  }

  add(instanceId: string, instance: Partial<FakeInstance> = {}): string {
    this.instances[instanceId] = { instanceType: "m8i.large", state: "running", nestedVirtualization: "disabled", ...instance };
    this.save();
    return instanceId;
  }

  get(instanceId: string): FakeInstance | undefined {
    return this.instances[instanceId];
  }

  set(instanceId: string, change: Partial<FakeInstance>): void {
    this.instances[instanceId] = { ...this.instances[instanceId], ...change };
    this.save();
  }

  private save(): void {
    if (this.file) fs.writeFileSync(this.file, JSON.stringify(this.instances, null, 2));
  }

  private stateOf(instanceId: string, instance: FakeInstance): EnablementState {
    return { instanceId, nestedVirtualization: instance.nestedVirtualization, instanceType: instance.instanceType, instanceState: instance.state, warnings: [] };
  }

  private plan(desired: DesiredState): CyclePlan {
    const instance = this.instances[desired.instanceId];
    const base = { instanceId: desired.instanceId, desiredSetting: desired.nestedVirtualization, steps: [], warnings: [], blockers: [], causesDowntime: false };
    if (!instance || instance.state === "terminated") {
      return { ...base, blockers: [{ code: "instance-not-found", attribute: "instanceId", message: `Instance ${desired.instanceId} does not exist.` }] };
    }
    const plan: CyclePlan = { ...base, currentSetting: instance.nestedVirtualization };
    if (desired.nestedVirtualization === "enabled" && instance.instanceType.startsWith("t3.")) {
      plan.blockers.push({ code: "unsupported-instance-type", attribute: "instanceId", message: `Instance ${desired.instanceId} is a ${instance.instanceType}, which does not support nested virtualization.` });
      return plan;
    }
    if (instance.nestedVirtualization === desired.nestedVirtualization) return plan;
    const running = instance.state === "running";
    plan.causesDowntime = running;
    plan.steps = running
      ? [{ kind: "stop", description: "stop" }, { kind: "modify", description: "modify" }, { kind: "start", description: "start" }]
      : [{ kind: "modify", description: "modify" }];
    if (running) plan.warnings.push({ code: "public-ip-will-change", message: `Instance ${desired.instanceId} will get a new public IPv4 address.` });
    return plan;
  }

  engine(connection: AwsConnection): Engine {
    const region = connection.region;
    return {
      inspect: async (desired): Promise<Inspection> => {
        this.calls.push({ method: "inspect", instanceId: desired.instanceId, region });
        const instance = this.instances[desired.instanceId];
        return { plan: this.plan(desired), ...(instance ? { current: this.stateOf(desired.instanceId, instance) } : {}) };
      },
      apply: async (desired): Promise<AppliedState> => {
        this.calls.push({ method: "apply", instanceId: desired.instanceId, region, setting: desired.nestedVirtualization });
        const plan = this.plan(desired);
        if (plan.blockers.length > 0) {
          const { BlockedError } = await import("../../../provider/engine/errors.js");
          throw new BlockedError(desired.instanceId, plan.blockers);
        }
        const instance = this.instances[desired.instanceId];
        const previous = instance.nestedVirtualization;
        this.set(desired.instanceId, { nestedVirtualization: desired.nestedVirtualization });
        const applied: AppliedState = {
          ...this.stateOf(desired.instanceId, this.instances[desired.instanceId]),
          warnings: plan.warnings.map((w) => w.message),
          previousNestedVirtualization: previous,
        };
        if (plan.steps.length > 0) {
          const at = "2026-01-01T00:00:00.000Z";
          applied.lastCycle = instance.state === "running"
            ? { stoppedAt: at, modifiedAt: at, startedAt: at, downtimeSeconds: 42 }
            : { modifiedAt: at, downtimeSeconds: 0 };
        }
        return applied;
      },
      adopt: async (desired): Promise<AppliedState> => {
        const instance = this.instances[desired.instanceId];
        if (!instance || instance.nestedVirtualization !== desired.nestedVirtualization) throw new Error(`cannot adopt ${desired.instanceId}`);
        return { ...this.stateOf(desired.instanceId, instance), previousNestedVirtualization: instance.nestedVirtualization };
      },
      read: async (instanceId) => {
        this.calls.push({ method: "read", instanceId, region });
        const instance = this.instances[instanceId];
        return instance && instance.state !== "terminated" ? this.stateOf(instanceId, instance) : undefined;
      },
      remove: async (desired, previousSetting) => {
        this.calls.push({ method: "remove", instanceId: desired.instanceId, region, setting: previousSetting });
        if (desired.onDelete === "restore" && previousSetting && this.instances[desired.instanceId]) {
          this.set(desired.instanceId, { nestedVirtualization: previousSetting });
        }
      },
    };
  }

  access(defaultRegion = "us-east-1"): EngineAccess {
    return {
      engine: async (connection) => this.engine(connection),
      region: async (connection) => connection.region ?? defaultRegion,
    };
  }
}
