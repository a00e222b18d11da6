// JSON control API under /_emulator/ so another process (or the demo) can
// seed instances, inject faults and read the call log.

import type { GroupSnapshot, SeedGroup } from "./autoscaling/groups";
import type { CallRecord } from "./calls";
import type { Architecture, InstanceTypeInfo } from "./catalogue";
import type { Faults } from "./faults";
import {
  type Durations,
  type InstanceSnapshot,
  type InstanceStateName,
  type NestedVirtualization,
  type SeedInstance,
  type StateReason,
  UnknownInstanceError,
} from "./instances";
import {
  asObject,
  type JsonObject,
  oneOf,
  optionalBoolean,
  optionalNumber,
  optionalString,
  optionalStringArray,
  optionalStringRecord,
  requiredOneOf,
  requiredString,
} from "./json";
import type { SeedLaunchTemplateVersion } from "./launch-templates";
import type { Permissions } from "./permissions";
import type { GuestSettings } from "./ssm/guest";
import type { StateHistory } from "./state-history";
import type { StatusCheckName, StatusCheckSettings, StatusChecks } from "./status-checks";

export const CONTROL_PREFIX = "/_emulator/";

export interface ControlTarget {
  readonly permissions: Permissions;
  readonly faults: Faults;
  readonly calls: readonly CallRecord[];
  instances(): InstanceSnapshot[];
  instance(id: string): InstanceSnapshot;
  addInstance(seed: SeedInstance): string;
  setNestedVirtualization(id: string, value: NestedVirtualization): void;
  setState(id: string, state: InstanceStateName): void;
  setStatusChecks(id: string, settings: StatusCheckSettings): void;
  statusChecks(id: string): StatusChecks;
  setTransitionDurations(id: string, durations: Partial<Durations>): void;
  failNextStarts(id: string, count: number, reason?: StateReason): void;
  setTag(id: string, key: string, value: string): void;
  removeTag(id: string, key: string): void;
  addInstanceType(info: InstanceTypeInfo): void;
  addLaunchTemplate(name: string, versions: readonly SeedLaunchTemplateVersion[]): string;
  addAutoScalingGroup(seed: SeedGroup): void;
  autoScalingGroup(name: string): GroupSnapshot;
  guest(id: string): GuestSettings;
  setGuest(id: string, settings: Partial<GuestSettings>): GuestSettings;
  stateHistory(instanceIds?: readonly string[]): StateHistory;
  mutatingCalls(): CallRecord[];
  callCounts(): Record<string, number>;
  resetCalls(): void;
}

export interface JsonReply {
  status: number;
  body: unknown;
}

const STATES: readonly InstanceStateName[] = [
  "pending",
  "running",
  "shutting-down",
  "terminated",
  "stopping",
  "stopped",
];
const NESTED: readonly NestedVirtualization[] = ["enabled", "disabled"];
const CHECKS: readonly StatusCheckName[] = ["instance", "system"];
const ARCHITECTURES: readonly Architecture[] = ["x86_64", "arm64", "i386", "x86_64_mac", "arm64_mac"];

export function handleControlRequest(target: ControlTarget, method: string, url: URL, body: unknown): JsonReply {
  const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/$/, "");
  const segments = path.split("/").map(decodeURIComponent);
  const id = segments[1] ?? "";
  const tagKey = segments[3] ?? "";
  const route = `${method} ${routePattern(segments)}`;
  try {
    switch (route) {
      case "GET health":
        return ok({ ok: true });
      case "GET instances":
        return ok(target.instances());
      case "POST instances":
        return { status: 201, body: { instanceId: target.addInstance(parseSeed(asObject(body))) } };
      case "GET instances/:id":
        return ok(target.instance(id));
      case "POST instances/:id/nested-virtualization": {
        target.setNestedVirtualization(id, requiredOneOf(asObject(body), "value", NESTED));
        return ok(target.instance(id));
      }
      case "POST instances/:id/state": {
        target.setState(id, requiredOneOf(asObject(body), "state", STATES));
        return ok(target.instance(id));
      }
      case "GET instances/:id/status-checks":
        return ok(target.statusChecks(id));
      case "POST instances/:id/status-checks": {
        target.setStatusChecks(id, parseStatusChecks(asObject(body)));
        return ok(target.statusChecks(id));
      }
      case "POST instances/:id/transition-durations": {
        const obj = asObject(body);
        target.setTransitionDurations(id, {
          stoppingMs: optionalNumber(obj, "stoppingMs"),
          pendingMs: optionalNumber(obj, "pendingMs"),
        });
        return ok(target.instance(id));
      }
      case "POST instances/:id/start-failures": {
        // Body: { count, code?, message? } — the next `count` starts fall back to "stopped" (capacity by default).
        const obj = asObject(body);
        const code = optionalString(obj, "code");
        const reason: StateReason | undefined = code
          ? { code, message: optionalString(obj, "message") ?? `${code}: Injected start failure.` }
          : undefined;
        target.failNextStarts(id, optionalNumber(obj, "count") ?? 1, reason);
        return ok(target.instance(id));
      }
      case "POST instances/:id/tags": {
        for (const [key, value] of Object.entries(optionalStringRecord(asObject(body), "tags") ?? {})) {
          target.setTag(id, key, value);
        }
        return ok(target.instance(id));
      }
      case "GET instances/:id/guest":
        return ok(target.guest(id));
      case "POST instances/:id/guest": {
        const obj = asObject(body);
        const ssmAgent = oneOf(optionalString(obj, "ssmAgent"), ["online", "none"] as const, "ssmAgent");
        const kvmModule = optionalBoolean(obj, "kvmModule");
        return ok(
          target.setGuest(id, {
            ...(ssmAgent !== undefined ? { ssmAgent } : {}),
            ...(kvmModule !== undefined ? { kvmModule } : {}),
          }),
        );
      }
      case "DELETE instances/:id/tags/:key":
        target.removeTag(id, tagKey);
        return ok(target.instance(id));
      case "POST instance-types":
        target.addInstanceType(parseInstanceType(asObject(body)));
        return { status: 201, body: { ok: true } };
      case "POST launch-templates": {
        const obj = asObject(body);
        const versions = Array.isArray(obj.versions)
          ? obj.versions.map((v) => parseTemplateVersion(asObject(v)))
          : [{}];
        return {
          status: 201,
          body: { launchTemplateId: target.addLaunchTemplate(requiredString(obj, "name"), versions) },
        };
      }
      case "POST auto-scaling-groups":
        target.addAutoScalingGroup(parseGroup(asObject(body)));
        return { status: 201, body: { ok: true } };
      case "GET auto-scaling-groups/:name":
        return ok(target.autoScalingGroup(segments[1] ?? ""));
      case "GET calls":
        return ok(url.searchParams.get("mutating") === "true" ? target.mutatingCalls() : target.calls);
      case "GET state-history": {
        const ids = url.searchParams.getAll("instanceId");
        return ok(target.stateHistory(ids.length > 0 ? ids : undefined));
      }
      case "GET call-counts":
        return ok(target.callCounts());
      case "POST reset-calls":
        target.resetCalls();
        return ok({ ok: true });
      case "POST faults":
        applyFaults(target.faults, asObject(body));
        return ok({ ok: true });
      case "POST permissions":
        applyPermissions(target.permissions, asObject(body));
        return ok({ ok: true, denied: target.permissions.deniedActions() });
      default:
        return { status: 404, body: { error: `no control route ${method} ${url.pathname}` } };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: error instanceof UnknownInstanceError ? 404 : 400, body: { error: message } };
  }
}

/** "instances/i-123/tags/env" -> "instances/:id/tags/:key" */
function routePattern(segments: readonly string[]): string {
  return segments
    .map((segment, i) => {
      if (segments[0] === "auto-scaling-groups" && i === 1) return ":name";
      if (segments[0] !== "instances") return segment;
      if (i === 1) return ":id";
      if (i === 3 && segments[2] === "tags") return ":key";
      return segment;
    })
    .join("/");
}

function ok(body: unknown): JsonReply {
  return { status: 200, body };
}

function parseSeed(obj: JsonObject): SeedInstance {
  return {
    instanceId: optionalString(obj, "instanceId"),
    instanceType: optionalString(obj, "instanceType"),
    state: oneOf(optionalString(obj, "state"), STATES, "state"),
    nestedVirtualization: oneOf(optionalString(obj, "nestedVirtualization"), NESTED, "nestedVirtualization"),
    spot: optionalBoolean(obj, "spot"),
    hibernationConfigured: optionalBoolean(obj, "hibernationConfigured"),
    rootDeviceType: oneOf(optionalString(obj, "rootDeviceType"), ["ebs", "instance-store"] as const, "rootDeviceType"),
    platform: oneOf(optionalString(obj, "platform"), ["linux", "windows"] as const, "platform"),
    publicIp: oneOf(optionalString(obj, "publicIp"), ["none", "ephemeral", "elastic"] as const, "publicIp"),
    tags: optionalStringRecord(obj, "tags"),
    stoppingMs: optionalNumber(obj, "stoppingMs"),
    pendingMs: optionalNumber(obj, "pendingMs"),
    statusCheckMs: optionalNumber(obj, "statusCheckMs"),
    impairedStatusCheck: oneOf(optionalString(obj, "impairedStatusCheck"), CHECKS, "impairedStatusCheck"),
    disableApiStop: optionalBoolean(obj, "disableApiStop"),
  };
}

/** Body: { instanceType?, nestedVirtualization?: "enabled" | "disabled" } (absent: the version does not set it). */
function parseTemplateVersion(obj: JsonObject): SeedLaunchTemplateVersion {
  return {
    instanceType: optionalString(obj, "instanceType"),
    nestedVirtualization: oneOf(optionalString(obj, "nestedVirtualization"), NESTED, "nestedVirtualization"),
  };
}

/** Body: { name, instanceIds?, minSize?, maxSize?, desiredCapacity?, launchTemplate?: {launchTemplateId, version?, mixedInstancesPolicy?}, launchConfigurationName?, lifecycleHooks?: [{name?, heartbeatSeconds?}] } */
function parseGroup(obj: JsonObject): SeedGroup {
  const template = obj.launchTemplate === undefined ? undefined : asObject(obj.launchTemplate, "launchTemplate");
  const hooks = Array.isArray(obj.lifecycleHooks) ? obj.lifecycleHooks.map((h) => asObject(h, "lifecycleHooks")) : [];
  return {
    name: requiredString(obj, "name"),
    instanceIds: optionalStringArray(obj, "instanceIds"),
    minSize: optionalNumber(obj, "minSize"),
    maxSize: optionalNumber(obj, "maxSize"),
    desiredCapacity: optionalNumber(obj, "desiredCapacity"),
    ...(template
      ? {
          launchTemplate: {
            launchTemplateId: requiredString(template, "launchTemplateId"),
            version: optionalString(template, "version"),
            mixedInstancesPolicy: optionalBoolean(template, "mixedInstancesPolicy"),
          },
        }
      : {}),
    launchConfigurationName: optionalString(obj, "launchConfigurationName"),
    lifecycleHooks: hooks.map((h) => ({
      name: optionalString(h, "name"),
      heartbeatSeconds: optionalNumber(h, "heartbeatSeconds"),
    })),
  };
}

/** Body: { statusCheckMs?, impairedCheck?: "instance" | "system" | "none" } */
function parseStatusChecks(obj: JsonObject): StatusCheckSettings {
  const impaired = oneOf(optionalString(obj, "impairedCheck"), [...CHECKS, "none"] as const, "impairedCheck");
  return {
    ...(obj.statusCheckMs !== undefined ? { statusCheckMs: optionalNumber(obj, "statusCheckMs") } : {}),
    ...(impaired !== undefined ? { impairedCheck: impaired === "none" ? undefined : impaired } : {}),
  };
}

function parseInstanceType(obj: JsonObject): InstanceTypeInfo {
  const defaultVCpus = optionalNumber(obj, "defaultVCpus") ?? 2;
  const defaultThreadsPerCore = optionalNumber(obj, "defaultThreadsPerCore") ?? 2;
  const architectures = optionalStringArray(obj, "supportedArchitectures") ?? ["x86_64"];
  return {
    instanceType: requiredString(obj, "instanceType"),
    defaultVCpus,
    defaultThreadsPerCore,
    defaultCores: optionalNumber(obj, "defaultCores") ?? defaultVCpus / defaultThreadsPerCore,
    memoryMiB: optionalNumber(obj, "memoryMiB") ?? defaultVCpus * 4096,
    supportedArchitectures: architectures.map((a) => oneOf(a, ARCHITECTURES, "supportedArchitectures") ?? "x86_64"),
    supportedFeatures: optionalStringArray(obj, "supportedFeatures") ?? [],
    instanceStorageGB: optionalNumber(obj, "instanceStorageGB"),
    bareMetal: optionalBoolean(obj, "bareMetal") ?? false,
    hypervisor: oneOf(optionalString(obj, "hypervisor"), ["nitro", "xen"] as const, "hypervisor"),
    burstable: optionalBoolean(obj, "burstable"),
    hibernationSupported: optionalBoolean(obj, "hibernationSupported"),
    manufacturer: optionalString(obj, "manufacturer"),
  };
}

/** Body: { clear?, documentedRateLimits?: boolean, errorRate?: {rate, code?, codes?, actions?}, failNext?: {action, code, message?, count?, dryRun?, instanceId?, status?, html?} | [...], unimplementedActions?: string[], latencyMs?, holdReply?: {action, ms}, stuckInStopping?: {instanceId, stuck?} } */
function applyFaults(faults: Faults, obj: JsonObject): void {
  if (optionalBoolean(obj, "clear")) faults.clear();
  if (obj.errorRate !== undefined) {
    const rate = asObject(obj.errorRate, "errorRate");
    faults.errorRate(
      optionalNumber(rate, "rate") ?? 0,
      optionalStringArray(rate, "codes") ?? optionalString(rate, "code"),
      optionalStringArray(rate, "actions"),
    );
  }
  const documented = optionalBoolean(obj, "documentedRateLimits");
  if (documented !== undefined) faults.documentedRateLimits(documented);
  const failNext = obj.failNext === undefined ? [] : Array.isArray(obj.failNext) ? obj.failNext : [obj.failNext];
  for (const entry of failNext) {
    const spec = asObject(entry, "failNext");
    faults.failNext(
      requiredString(spec, "action"),
      requiredString(spec, "code"),
      optionalString(spec, "message"),
      optionalNumber(spec, "count"),
      {
        dryRun: optionalBoolean(spec, "dryRun"),
        instanceId: optionalString(spec, "instanceId"),
        status: optionalNumber(spec, "status"),
        html: optionalBoolean(spec, "html"),
      },
    );
  }
  const unimplemented = optionalStringArray(obj, "unimplementedActions");
  if (unimplemented !== undefined) faults.unimplementedActions(unimplemented);
  const latencyMs = optionalNumber(obj, "latencyMs");
  if (latencyMs !== undefined) faults.latency(latencyMs);
  if (obj.holdReply !== undefined) {
    const hold = asObject(obj.holdReply, "holdReply");
    faults.holdReply(requiredString(hold, "action"), optionalNumber(hold, "ms") ?? 0);
  }
  if (obj.stuckInStopping !== undefined) {
    const stuck = asObject(obj.stuckInStopping, "stuckInStopping");
    faults.stuckInStopping(requiredString(stuck, "instanceId"), optionalBoolean(stuck, "stuck") ?? true);
  }
}

/** Body: { allowAll?, deny?: string[], allow?: string[] } */
function applyPermissions(permissions: Permissions, obj: JsonObject): void {
  if (optionalBoolean(obj, "allowAll")) permissions.allowAll();
  for (const action of optionalStringArray(obj, "deny") ?? []) permissions.deny(action);
  for (const action of optionalStringArray(obj, "allow") ?? []) permissions.allow(action);
}
