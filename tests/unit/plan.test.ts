import { expect } from "chai";
import { actionsOf, type InstanceFacts, planCycle } from "../../provider/engine";
import { toInstanceFacts } from "../../provider/engine/finders";
import { desiredOf, factsOf } from "../support/facts";
import { EVERY_MECHANISM_CYCLE, FULL_CYCLE, LIFTED_CYCLE } from "../support/step-kinds";

const kindsOf = (plan: ReturnType<typeof planCycle>) => plan.steps.map((s) => s.kind);
const codesOf = (plan: ReturnType<typeof planCycle>) => plan.blockers.map((b) => b.code);

describe("planning a cycle (pure)", () => {
  it("stops, modifies and starts a running instance, journaled", () => {
    const plan = planCycle(factsOf(), desiredOf());
    expect(kindsOf(plan)).to.deep.equal(FULL_CYCLE);
    expect(plan.blockers).to.deep.equal([]);
    expect(plan.causesDowntime).to.equal(true);
    expect(plan.currentSetting).to.equal("disabled");
    expect(plan.desiredSetting).to.equal("enabled");
  });

  it("only modifies a stopped instance and leaves it stopped", () => {
    const plan = planCycle(factsOf({ state: "stopped" }), desiredOf());
    expect(kindsOf(plan)).to.deep.equal(["modify"]);
    expect(plan.causesDowntime).to.equal(false);
  });

  it("in a rollout group takes a slot before the stop; gated, ends with the status checks", () => {
    const desired = desiredOf({ rolloutGroup: "runners", maxUnavailable: 3, waitForStatusChecks: true });
    const plan = planCycle(factsOf(), desired);
    const ungated = kindsOf(planCycle(factsOf(), desiredOf()));
    expect(kindsOf(plan)).to.deep.equal(["acquire-slot", ...ungated, "wait-healthy"]);
    expect(plan.steps[0].description).to.contain('rollout group "runners" (at most 3 out of service)');
    // A stopped instance is neither taken out of service nor started: no slot, no gate.
    expect(kindsOf(planCycle(factsOf({ state: "stopped" }), desired))).to.deep.equal(["modify"]);
  });

  it("waits for a pending instance to run before stopping it", () => {
    expect(kindsOf(planCycle(factsOf({ state: "pending" }), desiredOf()))[0]).to.equal("wait-running");
  });

  it("finishes someone else's stop and leaves the instance stopped", () => {
    expect(kindsOf(planCycle(factsOf({ state: "stopping" }), desiredOf()))).to.deep.equal(["wait-stopped", "modify"]);
  });

  it("plans nothing when the instance already has the desired setting", () => {
    const plan = planCycle(factsOf({ nestedVirtualization: "enabled" }), desiredOf());
    expect(plan.steps).to.deep.equal([]);
    expect(plan.blockers).to.deep.equal([]);
    expect(plan.warnings).to.deep.equal([]);
  });

  it("plans nothing for a no-op even on an instance that would be blocked", () => {
    const plan = planCycle(factsOf({ nestedVirtualization: "enabled", spot: true }), desiredOf());
    expect(plan.steps).to.deep.equal([]);
    expect(plan.blockers).to.deep.equal([]);
  });

  it("disables as readily as it enables", () => {
    const plan = planCycle(
      factsOf({ nestedVirtualization: "enabled" }),
      desiredOf({ nestedVirtualization: "disabled" }),
    );
    expect(kindsOf(plan)).to.include("modify");
    expect(plan.desiredSetting).to.equal("disabled");
  });

  describe("blockers (no steps at all)", () => {
    const cases: [string, Parameters<typeof factsOf>[0], string][] = [
      [
        "an unsupported instance type",
        {
          instanceType: "m6i.large",
          type: {
            instanceType: "m6i.large",
            supportsNestedVirtualization: false,
            defaultVCpus: 2,
            instanceStorageSupported: false,
            instanceStorageGiB: 0,
          },
        },
        "unsupported-instance-type",
      ],
      ["a Spot Instance", { spot: true }, "spot-instance"],
      ["hibernation configured", { hibernationConfigured: true }, "hibernation-configured"],
      ["an instance-store root device", { rootDeviceType: "instance-store" }, "instance-store-root"],
      [
        "Windows on more than 192 vCPUs",
        {
          platform: "windows",
          coreCount: 192,
          threadsPerCore: 2,
          type: {
            instanceType: "m8i.96xlarge",
            supportsNestedVirtualization: true,
            defaultVCpus: 384,
            instanceStorageSupported: false,
            instanceStorageGiB: 0,
          },
        },
        "windows-too-many-vcpus",
      ],
      ["an Auto Scaling group member", { autoScalingGroupName: "ci-fleet" }, "auto-scaling-member"],
    ];
    for (const [what, overrides, code] of cases) {
      it(`blocks ${what}`, () => {
        const plan = planCycle(factsOf(overrides), desiredOf());
        expect(codesOf(plan)).to.deep.equal([code]);
        expect(plan.steps).to.deep.equal([]);
        expect(plan.blockers[0].message).to.contain("i-0123456789abcdef0");
      });
    }

    it("blocks a missing instance and names the region", () => {
      const plan = planCycle(undefined, desiredOf(), { region: "eu-west-1" });
      expect(codesOf(plan)).to.deep.equal(["instance-not-found"]);
      expect(plan.blockers[0].message).to.contain("eu-west-1");
    });

    it("blocks a terminated instance", () => {
      expect(codesOf(planCycle(factsOf({ state: "terminated" }), desiredOf()))).to.deep.equal(["instance-terminated"]);
    });

    it("allows an Auto Scaling group member when told to, with a warning", () => {
      const plan = planCycle(factsOf({ autoScalingGroupName: "ci-fleet" }), desiredOf({ autoScaling: "allow" }));
      expect(plan.blockers).to.deep.equal([]);
      expect(plan.warnings.map((w) => w.code)).to.include("auto-scaling-member");
      expect(plan.steps.map((s) => s.kind)).to.not.include("enter-standby");
    });

    it("puts a member in Standby after the journal and returns it to service before the journal goes", () => {
      const plan = planCycle(factsOf({ autoScalingGroupName: "ci-fleet" }), desiredOf({ autoScaling: "standby" }));
      expect(plan.blockers).to.deep.equal([]);
      expect(plan.steps.map((s) => s.kind)).to.deep.equal([
        "write-journal",
        "enter-standby",
        "wait-standby",
        "stop",
        "wait-stopped",
        "modify",
        "start",
        "wait-running",
        "exit-standby",
        "wait-in-service",
        "clear-journal",
      ]);
      expect(plan.warnings.find((w) => w.code === "auto-scaling-member")?.message).to.contain("puts it in Standby");
    });

    it("with the health gate, returns a standby member to service only once its status checks pass", () => {
      const kinds = planCycle(
        factsOf({ autoScalingGroupName: "ci-fleet" }),
        desiredOf({ autoScaling: "standby", waitForStatusChecks: true }),
      ).steps.map((s) => s.kind);
      expect(kinds.slice(-5)).to.deep.equal([
        "wait-running",
        "wait-healthy",
        "exit-standby",
        "wait-in-service",
        "clear-journal",
      ]);
    });

    it("finishes an interrupted standby cycle with ExitStandby, whatever autoScaling says now", () => {
      const journal = {
        priorState: "running" as const,
        from: "disabled" as const,
        to: "enabled" as const,
        startedAt: "2026-12-06T00:00:00.000Z",
        standbyGroup: "ci-fleet",
      };
      const facts = factsOf({ autoScalingGroupName: "ci-fleet", state: "stopped", journal });
      for (const autoScaling of ["standby", "allow"] as const) {
        expect(planCycle(facts, desiredOf({ autoScaling })).steps.map((s) => s.kind)).to.deep.equal([
          "modify",
          "start",
          "wait-running",
          "exit-standby",
          "wait-in-service",
          "clear-journal",
        ]);
      }
    });

    it("blocks a standby that the group's minimum size does not allow, and carries the launch template warning", () => {
      const plan = planCycle(factsOf({ autoScalingGroupName: "ci-fleet" }), desiredOf({ autoScaling: "standby" }), {
        group: {
          warnings: [{ code: "launch-template-without-nested-virtualization", message: "lt" }],
          standbyBlockers: [{ code: "auto-scaling-minimum-size", attribute: "autoScaling", message: "min" }],
        },
      });
      expect(codesOf(plan)).to.deep.equal(["auto-scaling-minimum-size"]);
      expect(plan.steps).to.deep.equal([]);
    });

    it("with everything on, lifts protection inside the standby and checks status and guest before ExitStandby", () => {
      const plan = planCycle(
        factsOf({ autoScalingGroupName: "ci-fleet" }),
        desiredOf({
          autoScaling: "standby",
          stopProtection: "lift",
          waitForStatusChecks: true,
          verifyInGuest: true,
          rolloutGroup: "ci",
        }),
        { stopProtected: true },
      );
      expect(plan.blockers).to.deep.equal([]);
      expect(plan.steps.map((s) => s.kind)).to.deep.equal(EVERY_MECHANISM_CYCLE);
      expect(plan.warnings.map((w) => w.code)).to.include.members(["auto-scaling-member", "stop-protection-lifted"]);
    });

    it("finishes an interrupted cycle that recorded both a standby and a lift: protection on, then back in service", () => {
      const journal = {
        priorState: "running" as const,
        from: "disabled" as const,
        to: "enabled" as const,
        startedAt: "2026-12-06T00:00:00.000Z",
        standbyGroup: "ci-fleet",
        stopProtectionLifted: true,
      };
      const facts = factsOf({ autoScalingGroupName: "ci-fleet", state: "stopped", journal });
      expect(planCycle(facts, desiredOf({ autoScaling: "standby" })).steps.map((s) => s.kind)).to.deep.equal([
        "modify",
        "start",
        "wait-running",
        "restore-stop-protection",
        "exit-standby",
        "wait-in-service",
        "clear-journal",
      ]);
    });

    it("blocks on each action whose DryRun was refused", () => {
      const plan = planCycle(factsOf(), desiredOf(), { deniedActions: ["ModifyInstanceCpuOptions", "StartInstances"] });
      expect(codesOf(plan)).to.deep.equal(["missing-permission", "missing-permission"]);
      expect(plan.blockers[0].message).to.contain("ec2:ModifyInstanceCpuOptions");
      expect(plan.steps).to.deep.equal([]);
    });

    it("blocks, naming the call and what came back, when the endpoint cannot perform a call of the cycle", () => {
      const answer = "InvalidAction (HTTP 400): The action ModifyInstanceCpuOptions is not valid for this web service";
      const plan = planCycle(factsOf(), desiredOf(), {
        unperformable: [{ action: "ModifyInstanceCpuOptions", answer }],
      });
      expect(codesOf(plan)).to.deep.equal(["endpoint-cannot-cycle"]);
      expect(plan.blockers[0].message)
        .to.contain("cannot perform the cycle on i-0123456789abcdef0")
        .and.contain(`ec2:ModifyInstanceCpuOptions with ${answer}`)
        .and.contain("was not stopped");
      expect(plan.steps).to.deep.equal([]);
    });

    describe("after a cycle that failed at the modify", () => {
      const failedAt = Date.parse("2026-12-01T10:00:00.000Z");
      const failed = (to: "enabled" | "disabled" = "enabled") =>
        factsOf({
          failedCycle: {
            to,
            at: new Date(failedAt).toISOString(),
            call: "ModifyInstanceCpuOptions",
            error: "InternalError (HTTP 500, 14 attempts): An internal error has occurred",
          },
        });
      const minutes = (n: number) => failedAt + n * 60_000;

      it("a run with the same target within 30 minutes is blocked with the earlier error", () => {
        const plan = planCycle(failed(), desiredOf(), { now: minutes(29) });
        expect(codesOf(plan)).to.deep.equal(["earlier-cycle-failed"]);
        expect(plan.blockers[0].message)
          .to.contain("ModifyInstanceCpuOptions failed: InternalError (HTTP 500, 14 attempts)")
          .and.contain("NESTEDVIRT_RETRY_FAILED_CYCLE=true")
          .and.contain("--tags Key=nestedvirt:failed-cycle");
        expect(plan.steps).to.deep.equal([]);
      });

      it("is not held off after the window, for the other target, or when the user asks again", () => {
        expect(codesOf(planCycle(failed(), desiredOf(), { now: minutes(31) }))).to.deep.equal([]);
        expect(codesOf(planCycle(failed("disabled"), desiredOf(), { now: minutes(1) }))).to.deep.equal([]);
        const asked = planCycle(failed(), desiredOf(), { now: minutes(1), retryFailedCycle: true });
        expect(codesOf(asked)).to.deep.equal([]);
        expect(kindsOf(asked)).to.include("stop");
      });
    });

    const windowsOn = (type: { instanceType: string; defaultVCpus: number }, cpu: Partial<InstanceFacts> = {}) =>
      factsOf({
        platform: "windows",
        instanceType: type.instanceType,
        type: { ...type, supportsNestedVirtualization: true, instanceStorageSupported: false, instanceStorageGiB: 0 },
        ...cpu,
      });
    const m8i48xlarge = { instanceType: "m8i.48xlarge", defaultVCpus: 192 };
    const m8i96xlarge = { instanceType: "m8i.96xlarge", defaultVCpus: 384 };

    it("allows Windows with up to 192 vCPUs but warns that VSM goes off", () => {
      const plan = planCycle(windowsOn(m8i48xlarge, { coreCount: 96, threadsPerCore: 2 }), desiredOf());
      expect(plan.blockers).to.deep.equal([]);
      expect(plan.warnings.map((w) => w.code)).to.deep.equal(["windows-vsm-disabled"]);
    });

    it("counts a Windows instance's own vCPUs (CoreCount × ThreadsPerCore), not its type's default", () => {
      const trimmed = windowsOn(m8i96xlarge, { coreCount: 96, threadsPerCore: 2 });
      expect(planCycle(trimmed, desiredOf()).blockers).to.deep.equal([]);
      const singleThreaded = windowsOn(m8i96xlarge, { coreCount: 193, threadsPerCore: 1 });
      const blocked = planCycle(singleThreaded, desiredOf());
      expect(codesOf(blocked)).to.deep.equal(["windows-too-many-vcpus"]);
      expect(blocked.blockers[0].message).to.contain("on 193 vCPUs");
    });

    it("falls back to the type's default vCPUs when EC2 reports no CPU options", () => {
      const plan = planCycle(windowsOn(m8i96xlarge), desiredOf());
      expect(codesOf(plan)).to.deep.equal(["windows-too-many-vcpus"]);
      expect(plan.blockers[0].message).to.contain("on 384 vCPUs");
    });
  });

  describe("warnings", () => {
    it("warns that an auto-assigned public IP will change, not an Elastic IP", () => {
      // From EC2's own description: auto-assigned addresses are owned by "amazon", Elastic IPs by the account.
      const withPublicIp = (publicIp: string, ipOwnerId: string) =>
        toInstanceFacts(
          {
            InstanceId: "i-0123456789abcdef0",
            InstanceType: "m8i.large",
            State: { Name: "running" },
            CpuOptions: { CoreCount: 1, ThreadsPerCore: 2, NestedVirtualization: "disabled" },
            NetworkInterfaces: [{ Association: { PublicIp: publicIp, IpOwnerId: ipOwnerId } }],
          },
          factsOf().type,
        );
      const autoAssigned = planCycle(withPublicIp("203.0.113.7", "amazon"), desiredOf());
      expect(autoAssigned.warnings.map((w) => w.code)).to.deep.equal(["public-ip-will-change"]);
      expect(autoAssigned.warnings[0].message).to.contain("203.0.113.7");
      const elastic = planCycle(withPublicIp("198.51.100.2", "123456789012"), desiredOf());
      expect(elastic.steps).to.have.length.greaterThan(0);
      expect(elastic.warnings).to.deep.equal([]);
    });

    it("warns that instance-store data will be lost", () => {
      const plan = planCycle(
        factsOf({
          type: {
            instanceType: "m8id.large",
            supportsNestedVirtualization: true,
            defaultVCpus: 2,
            instanceStorageSupported: true,
            instanceStorageGiB: 118,
          },
        }),
        desiredOf(),
      );
      expect(plan.warnings.map((w) => w.code)).to.deep.equal(["instance-store-data-lost"]);
    });

    it("does not warn about a stop that will not happen", () => {
      expect(
        planCycle(factsOf({ state: "stopped", ephemeralPublicIp: "203.0.113.7" }), desiredOf()).warnings,
      ).to.deep.equal([]);
    });
  });

  describe("an interrupted cycle (journal on the instance)", () => {
    const journal = {
      priorState: "running" as const,
      from: "disabled" as const,
      to: "enabled" as const,
      startedAt: "2026-11-27T00:00:00.000Z",
    };

    it("completes the cycle on a stopped instance and starts it again", () => {
      const plan = planCycle(factsOf({ state: "stopped", journal }), desiredOf());
      expect(kindsOf(plan)).to.deep.equal(["modify", "start", "wait-running", "clear-journal"]);
      expect(plan.warnings.map((w) => w.code)).to.include("interrupted-cycle");
    });

    it("only restarts and clears when the setting was already applied", () => {
      const plan = planCycle(factsOf({ state: "stopped", nestedVirtualization: "enabled", journal }), desiredOf());
      expect(kindsOf(plan)).to.deep.equal(["start", "wait-running", "clear-journal"]);
    });

    it("waits out a stop that was under way, then finishes", () => {
      expect(kindsOf(planCycle(factsOf({ state: "stopping", journal }), desiredOf()))).to.deep.equal([
        "wait-stopped",
        "modify",
        "start",
        "wait-running",
        "clear-journal",
      ]);
    });

    it("restores the run state even when the change is now blocked", () => {
      const plan = planCycle(factsOf({ state: "stopped", spot: true, journal }), desiredOf());
      expect(kindsOf(plan)).to.deep.equal(["start", "wait-running", "clear-journal"]);
      expect(codesOf(plan)).to.deep.equal(["spot-instance"]);
    });

    it("just clears a stale journal on a running instance already in the desired state", () => {
      expect(kindsOf(planCycle(factsOf({ nestedVirtualization: "enabled", journal }), desiredOf()))).to.deep.equal([
        "clear-journal",
      ]);
    });
  });

  it("lists the mutating actions a plan needs for the DryRun preflight", () => {
    expect(actionsOf(planCycle(factsOf(), desiredOf()))).to.deep.equal([
      "CreateTags",
      "StopInstances",
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "DeleteTags",
    ]);
    expect(actionsOf(planCycle(factsOf({ state: "stopped" }), desiredOf()))).to.deep.equal([
      "ModifyInstanceCpuOptions",
    ]);
  });

  describe("stop protection", () => {
    const journal = {
      priorState: "running" as const,
      from: "disabled" as const,
      to: "enabled" as const,
      startedAt: "2026-12-01T00:00:00.000Z",
    };

    it("refuse (the default) blocks a protected running instance, naming the attribute", () => {
      const plan = planCycle(factsOf(), desiredOf(), { stopProtected: true });
      expect(codesOf(plan)).to.deep.equal(["stop-protected"]);
      expect(plan.steps).to.deep.equal([]);
    });

    it("lift turns the protection off after the journal and on again before the journal goes, and says so", () => {
      const plan = planCycle(factsOf(), desiredOf({ stopProtection: "lift" }), { stopProtected: true });
      expect(plan.blockers).to.deep.equal([]);
      expect(kindsOf(plan)).to.deep.equal(LIFTED_CYCLE);
      expect(plan.warnings.map((w) => w.code)).to.include("stop-protection-lifted");
      expect(actionsOf(plan)).to.include("ModifyInstanceAttribute");
    });

    it("lift leaves a stopped instance's protection alone: it need not be stopped", () => {
      const plan = planCycle(factsOf({ state: "stopped" }), desiredOf({ stopProtection: "lift" }), {
        stopProtected: true,
      });
      expect(kindsOf(plan)).to.deep.equal(["modify"]);
      expect(plan.warnings).to.deep.equal([]);
    });

    it("a journal that records a lift gets the protection turned on again, whatever the choice now", () => {
      const lifted = { ...journal, stopProtectionLifted: true };
      const stopped = planCycle(
        factsOf({ state: "stopped", nestedVirtualization: "enabled", journal: lifted }),
        desiredOf(),
      );
      expect(kindsOf(stopped)).to.deep.equal(["start", "wait-running", "restore-stop-protection", "clear-journal"]);
      const running = planCycle(factsOf({ journal: lifted }), desiredOf({ stopProtection: "lift" }));
      expect(kindsOf(running)).to.deep.equal([
        "write-journal",
        "stop",
        "wait-stopped",
        "modify",
        "start",
        "wait-running",
        "restore-stop-protection",
        "clear-journal",
      ]);
    });
  });
});
