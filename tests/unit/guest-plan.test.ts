import type { Instance } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { iamPolicy, planCycle, SSM_ACTIONS } from "../../provider/engine";
import { toInstanceFacts } from "../../provider/engine/finders";
import { checkFor } from "../../provider/engine/guest-check";
import type { PlanBlocker } from "../../provider/engine/types";
import { desiredOf, factsOf } from "../support/facts";

const kindsOf = (plan: ReturnType<typeof planCycle>) => plan.steps.map((s) => s.kind);

describe("planning the check inside the guest (verifyInGuest, pure)", () => {
  it("ends a cycle that starts the instance with the check, after the health gate", () => {
    const plan = planCycle(factsOf(), desiredOf({ verifyInGuest: true, waitForStatusChecks: true }));
    expect(kindsOf(plan).slice(-3)).to.deep.equal(["clear-journal", "wait-healthy", "verify-guest"]);
    expect(plan.steps.at(-1)?.description).to.include("SSM Run Command");
  });

  it("adds no check when the instance is left stopped, when disabling, or without verifyInGuest", () => {
    expect(kindsOf(planCycle(factsOf({ state: "stopped" }), desiredOf({ verifyInGuest: true })))).to.deep.equal([
      "modify",
    ]);
    const disabling = planCycle(
      factsOf({ nestedVirtualization: "enabled" }),
      desiredOf({ verifyInGuest: true, nestedVirtualization: "disabled" }),
    );
    expect(kindsOf(disabling)).to.not.include("verify-guest");
    expect(kindsOf(planCycle(factsOf(), desiredOf()))).to.not.include("verify-guest");
  });

  it("turns a missing agent into a blocker with no steps", () => {
    const blocker: PlanBlocker = { code: "no-ssm-agent", attribute: "verifyInGuest", message: "no agent" };
    const plan = planCycle(factsOf(), desiredOf({ verifyInGuest: true }), { guestBlockers: [blocker] });
    expect(plan.blockers).to.deep.equal([blocker]);
    expect(plan.steps).to.deep.equal([]);
    expect(plan.causesDowntime).to.equal(false);
  });

  it("restores an interrupted cycle's instance without a check when the check is blocked", () => {
    const blocker: PlanBlocker = { code: "no-ssm-agent", attribute: "verifyInGuest", message: "no agent" };
    const journal = {
      priorState: "running" as const,
      from: "disabled" as const,
      to: "enabled" as const,
      startedAt: "",
    };
    const facts = factsOf({ state: "stopped", nestedVirtualization: "enabled", journal });
    const plan = planCycle(facts, desiredOf({ verifyInGuest: true }), { guestBlockers: [blocker] });
    expect(kindsOf(plan)).to.deep.equal(["start", "wait-running", "clear-journal"]);
    expect(plan.blockers).to.deep.equal([blocker]);
    const unblocked = planCycle(facts, desiredOf({ verifyInGuest: true }));
    expect(kindsOf(unblocked)).to.deep.equal(["start", "wait-running", "clear-journal", "verify-guest"]);
  });

  it("chooses the document by platform, from DescribeInstances' Platform or PlatformDetails", () => {
    expect(checkFor("linux").document).to.equal("AWS-RunShellScript");
    expect(checkFor("windows").document).to.equal("AWS-RunPowerShellScript");
    const platformOf = (described: Pick<Instance, "Platform" | "PlatformDetails">) =>
      toInstanceFacts({ InstanceId: "i-0123456789abcdef0", State: { Name: "running" }, ...described }, factsOf().type)
        .platform;
    expect(platformOf({ Platform: "Windows", PlatformDetails: "Windows" })).to.equal("windows");
    expect(platformOf({ PlatformDetails: "Windows BYOL" })).to.equal("windows");
    expect(platformOf({ PlatformDetails: "Linux/UNIX" })).to.equal("linux");
    expect(platformOf({})).to.equal("linux");
  });

  it("grants the three SSM actions in the IAM policy", () => {
    const actions = JSON.stringify(iamPolicy());
    for (const action of SSM_ACTIONS) expect(actions).to.include(`ssm:${action}`);
  });
});
