import { expect } from "chai";
import { forwardPath, pathConditions } from "../../provider/engine/forward-path";
import type { CycleJournal, DesiredState, InstanceFacts } from "../../provider/engine/types";
import { desiredOf, factsOf } from "../support/facts";
import { EVERY_MECHANISM_CYCLE, FULL_CYCLE } from "../support/step-kinds";

const path = (
  facts: InstanceFacts,
  desired: DesiredState,
  found: { modifies?: boolean; blocked?: boolean; stopProtected?: boolean } = {},
) =>
  forwardPath(
    pathConditions(facts, desired, {
      modifies: found.modifies ?? true,
      blocked: found.blocked ?? false,
      stopProtected: found.stopProtected ?? false,
    }),
  );

const interrupted = (overrides: Partial<CycleJournal> = {}): CycleJournal => ({
  priorState: "running",
  from: "disabled",
  to: "enabled",
  startedAt: "2026-01-01T00:00:00.000Z",
  ...overrides,
});

describe("the forward path of a cycle (pure, one table)", () => {
  it("takes a running instance through journal, stop, modify, start and the journal's removal", () => {
    expect(path(factsOf(), desiredOf())).to.deep.equal(FULL_CYCLE);
  });

  it("keeps every mechanism in its place when all are asked for at once", () => {
    const facts = factsOf({ autoScalingGroupName: "web" });
    const desired = desiredOf({
      autoScaling: "standby",
      stopProtection: "lift",
      rolloutGroup: "runners",
      waitForStatusChecks: true,
      verifyInGuest: true,
    });
    expect(path(facts, desired, { stopProtected: true })).to.deep.equal(EVERY_MECHANISM_CYCLE);
  });

  it("without a standby, checks the instance after its journal is removed", () => {
    const kinds = path(factsOf(), desiredOf({ waitForStatusChecks: true, verifyInGuest: true }));
    expect(kinds.slice(-3)).to.deep.equal(["clear-journal", "wait-healthy", "verify-guest"]);
  });

  it("waits for a starting instance to run before its own stop", () => {
    expect(path(factsOf({ state: "pending" }), desiredOf()).slice(0, 3)).to.deep.equal([
      "wait-running",
      "write-journal",
      "stop",
    ]);
  });

  it("modifies a stopped instance and leaves it stopped: no journal, no slot, no checks", () => {
    const desired = desiredOf({ rolloutGroup: "runners", waitForStatusChecks: true, verifyInGuest: true });
    expect(path(factsOf({ state: "stopped" }), desired)).to.deep.equal(["modify"]);
  });

  it("starts again an instance an interrupted cycle found running, then removes that cycle's journal", () => {
    const facts = factsOf({ state: "stopped", journal: interrupted() });
    expect(path(facts, desiredOf())).to.deep.equal(["modify", "start", "wait-running", "clear-journal"]);
  });

  it("only restores the interrupted cycle's run state, protection and service when the change is blocked", () => {
    const facts = factsOf({
      state: "stopping",
      journal: interrupted({ stopProtectionLifted: true, standbyGroup: "web" }),
    });
    const desired = desiredOf({ verifyInGuest: true });
    expect(path(facts, desired, { modifies: false, blocked: true })).to.deep.equal([
      "wait-stopped",
      "start",
      "wait-running",
      "restore-stop-protection",
      "exit-standby",
      "wait-in-service",
      "clear-journal",
    ]);
  });

  it("takes no step when there is nothing to change and no journal to finish", () => {
    expect(path(factsOf({ state: "stopping" }), desiredOf(), { modifies: false, blocked: true })).to.deep.equal([]);
  });
});
