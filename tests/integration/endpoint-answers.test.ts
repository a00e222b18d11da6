import { expect } from "chai";
import type { Ec2Emulator } from "../../emulator";
import {
  BlockedError,
  CycleFailedError,
  createEngine,
  DOWNTIME_RETRY_WINDOW_MS,
  FAILED_CYCLE_TAG_KEY,
  JOURNAL_TAG_KEY,
  LookupFailedError,
  RETRY_FAILED_CYCLE_ENV,
} from "../../provider/engine";
import { FAST_TRANSITIONS, mutatingActions, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

const MODIFY = "ModifyInstanceCpuOptions";

/** Runs `body` with environment variables set, restoring them afterwards. */
async function withEnvironment<T>(variables: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** When the instance entered `stopped` and when it left it again (emulator clock). */
function stoppedSpan(emulator: Ec2Emulator, instanceId: string): { from: number; to: number } {
  const history = emulator.stateHistory([instanceId])[instanceId] ?? [];
  const index = history.findIndex((entry) => entry.state === "stopped");
  const from = history[index]?.at ?? Number.NaN;
  const to = history[index + 1]?.at ?? Number.NaN;
  return { from, to };
}

describe("what an EC2-compatible endpoint answers: verdicts before the stop, bounded retries after it (real SDK over HTTP)", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);

  describe("the DryRun of the modify decides at preview, with zero mutating calls", () => {
    type Case = {
      what: string;
      inject: (emulator: Ec2Emulator) => void;
      /** Blocker code, or undefined for a permitted verdict. */
      blocker?: string;
      phrases?: string[];
      /** Attempts of the modify's DryRun, where the SDK retries the answer (AWS_MAX_ATTEMPTS=3 here). */
      attempts: number;
    };
    const cases: Case[] = [
      { what: "DryRunOperation: permitted", inject: () => undefined, attempts: 1 },
      {
        what: "throttled twice, then DryRunOperation: retried first, then permitted",
        inject: (e) => e.faults.failNext(MODIFY, "RequestLimitExceeded", undefined, 2, { dryRun: true }),
        attempts: 3,
      },
      {
        what: "UnauthorizedOperation: the IAM blocker",
        inject: (e) => e.permissions.deny(MODIFY),
        blocker: "missing-permission",
        phrases: ["may not call ec2:ModifyInstanceCpuOptions", "UnauthorizedOperation"],
        attempts: 1,
      },
      {
        what: "InvalidAction (an endpoint without the action): the endpoint cannot perform the cycle",
        inject: (e) => e.faults.unimplementedActions([MODIFY]),
        blocker: "endpoint-cannot-cycle",
        phrases: ["cannot perform the cycle", "ec2:ModifyInstanceCpuOptions", "InvalidAction (HTTP 400)"],
        attempts: 1,
      },
      {
        what: "UnsupportedOperation: the endpoint cannot perform the cycle",
        inject: (e) => e.faults.failNext(MODIFY, "UnsupportedOperation", "Not supported here.", 100, { dryRun: true }),
        blocker: "endpoint-cannot-cycle",
        phrases: ["UnsupportedOperation (HTTP 400): Not supported here"],
        attempts: 1,
      },
      {
        what: "HTTP 500 every time: retried, then the endpoint cannot perform the cycle",
        inject: (e) => e.faults.failNext(MODIFY, "InternalError", undefined, 100, { dryRun: true }),
        blocker: "endpoint-cannot-cycle",
        phrases: ["InternalError (HTTP 500, 3 attempts)"],
        attempts: 3,
      },
      {
        what: "an HTML page with HTTP 500: retried, then named as not an EC2 answer",
        inject: (e) => e.faults.failNext(MODIFY, "InternalError", undefined, 100, { dryRun: true, html: true }),
        blocker: "endpoint-cannot-cycle",
        phrases: ["not an EC2 answer (HTML, HTTP 500)"],
        attempts: 3,
      },
    ];
    for (const { what, inject, blocker, phrases, attempts } of cases) {
      it(what, async function () {
        this.timeout(30_000);
        const { instanceId, desired } = seeded(ctx.emulator);
        inject(ctx.emulator);
        await withEnvironment({ AWS_MAX_ATTEMPTS: "3" }, async () => {
          const engine = ctx.engine();
          const { plan, permitted } = await engine.inspect(desired, { checkPermissions: true });
          expect(plan.blockers.map((b) => b.code)).to.deep.equal(blocker ? [blocker] : []);
          const message = plan.blockers.map((b) => b.message).join("\n");
          for (const phrase of phrases ?? []) expect(message).to.contain(phrase).and.contain(instanceId);
          expect(permitted?.actions.includes(MODIFY)).to.equal(blocker === undefined);
          const dryRuns = ctx.emulator.calls.filter((c) => c.action === MODIFY && c.dryRun);
          expect(dryRuns).to.have.length(attempts);
          expect(mutatingActions(ctx.emulator)).to.deep.equal([]);

          if (!blocker) return;
          // The apply asks again (a refused verdict is not remembered) and stops nothing either.
          const error = await rejection(engine.apply(desired));
          expect(error).to.be.instanceOf(BlockedError);
          for (const phrase of phrases ?? []) expect(error.message).to.contain(phrase);
          expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
          expect(ctx.emulator.instance(instanceId)).to.deep.include({
            state: "running",
            nestedVirtualization: "disabled",
          });
        });
      });
    }
  });

  describe("a modify answering 5xx after the stop", () => {
    it("keeps the instance stopped at most the documented bound, then starts it with its old setting and names status and code", async function () {
      this.timeout(90_000);
      const { instanceId, desired } = seeded(ctx.emulator);
      ctx.emulator.faults.failNext(MODIFY, "InternalError", undefined, 10_000, { dryRun: false });
      const error = await rejection(ctx.engine().apply(desired));

      expect(error).to.be.instanceOf(CycleFailedError);
      expect((error as CycleFailedError).restored).to.equal(true);
      expect(error.message)
        .to.contain(`ModifyInstanceCpuOptions failed on ${instanceId}: InternalError (HTTP 500,`)
        .and.contain("started again and has NestedVirtualization=disabled")
        .and.contain(RETRY_FAILED_CYCLE_ENV);
      const { from, to } = stoppedSpan(ctx.emulator, instanceId);
      const stoppedMs = to - from;
      expect(stoppedMs, "stopped for").to.be.at.most(DOWNTIME_RETRY_WINDOW_MS + 5000);
      // It was retried for the window, not given up at once.
      expect(stoppedMs, "stopped for").to.be.at.least(DOWNTIME_RETRY_WINDOW_MS - 1000);
      const modifies = ctx.emulator.calls.filter((c) => c.action === MODIFY && !c.dryRun);
      expect(modifies.length).to.be.at.least(3);
      expect(modifies.every((c) => c.errorCode === "InternalError")).to.equal(true);
      const live = ctx.emulator.instance(instanceId);
      expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "disabled"]);
      expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
      expect(live.tags[FAILED_CYCLE_TAG_KEY]).to.contain("InternalError (HTTP 500");
      console.log(
        `      modify answering HTTP 500: instance stopped ${(stoppedMs / 1000).toFixed(1)} s, ${modifies.length} attempts`,
      );

      // A re-run with the same target fails at plan with the earlier error and stops nothing.
      ctx.emulator.resetCalls();
      const engine = ctx.engine();
      const { plan } = await engine.inspect(desired, { checkPermissions: true });
      expect(plan.blockers.map((b) => b.code)).to.deep.equal(["earlier-cycle-failed"]);
      expect(plan.blockers[0]?.message)
        .to.contain("ModifyInstanceCpuOptions failed: InternalError (HTTP 500")
        .and.contain(`${RETRY_FAILED_CYCLE_ENV}=true`)
        .and.contain(`--tags Key=${FAILED_CYCLE_TAG_KEY}`);
      const again = await rejection(engine.apply(desired));
      expect(again).to.be.instanceOf(BlockedError);
      expect(again.message).to.contain("InternalError (HTTP 500");
      expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
      expect(ctx.emulator.calls.filter((c) => c.dryRun)).to.deep.equal([]);
      expect(ctx.emulator.instance(instanceId).state).to.equal("running");

      // Asked again explicitly, once the endpoint is fixed: the cycle runs and takes the record off.
      ctx.emulator.faults.clear();
      const applied = await withEnvironment({ [RETRY_FAILED_CYCLE_ENV]: "true" }, () => ctx.engine().apply(desired));
      expect(applied.nestedVirtualization).to.equal("enabled");
      expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(FAILED_CYCLE_TAG_KEY);
    });

    it("an explicit retry that fails again records the new failure", async function () {
      this.timeout(60_000);
      const { instanceId, desired } = seeded(ctx.emulator);
      ctx.emulator.faults.failNext(MODIFY, "InvalidParameterCombination", "first", 1, { dryRun: false });
      await rejection(ctx.engine().apply(desired));
      ctx.emulator.faults.failNext(MODIFY, "InvalidParameterCombination", "second", 1, { dryRun: false });
      const engine = createEngine({
        session: ctx.session,
        pollIntervalMs: 20,
        retryFailedCycle: true,
      });
      const error = await rejection(engine.apply(desired));
      expect(error.message).to.contain("InvalidParameterCombination (HTTP 400): second");
      expect(ctx.emulator.instance(instanceId).tags[FAILED_CYCLE_TAG_KEY]).to.contain("second");
      expect(ctx.emulator.instance(instanceId).state).to.equal("running");
    });
  });

  describe("errors say what came back", () => {
    it("a modify answered with an HTML page after the stop: not an EC2 answer, with its status", async () => {
      const { instanceId, desired } = seeded(ctx.emulator);
      ctx.emulator.faults.failNext(MODIFY, "NotFound", undefined, 1, { dryRun: false, html: true, status: 404 });
      const error = await rejection(ctx.engine().apply(desired));
      expect(error.message)
        .to.contain(`ModifyInstanceCpuOptions failed on ${instanceId}: not an EC2 answer (HTML, HTTP 404)`)
        .and.contain("started again and has NestedVirtualization=disabled")
        .and.not.contain("XML parse error");
      expect(ctx.emulator.instance(instanceId).state).to.equal("running");
    });

    it("a lookup answered with an HTML page names the call and the instance, and changes nothing", async () => {
      const { instanceId, desired } = seeded(ctx.emulator);
      ctx.emulator.faults.failNext("DescribeInstances", "BadGateway", undefined, 100, { html: true, status: 403 });
      const error = await rejection(ctx.engine().inspect(desired));
      expect(error).to.be.instanceOf(LookupFailedError);
      expect(error.message)
        .to.contain(
          `Could not look at instance ${instanceId}: DescribeInstances failed: not an EC2 answer (HTML, HTTP 403)`,
        )
        .and.contain("Nothing was changed");
      expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
    });
  });
});
