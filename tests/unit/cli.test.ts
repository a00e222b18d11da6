import { expect } from "chai";
import { UsageError } from "../../provider/cli/exit";
import { describeFilter, parseFilter } from "../../provider/cli/filters";
import { INPUT_PLACEMENT, rawInputsOf, validateFlags } from "../../provider/cli/options";
import { buildProgram } from "../../provider/cli/program";
import { ProgressBoard } from "../../provider/cli/progress";
import type { InstanceReport, Report } from "../../provider/cli/report";
import { REPORT_JSON_SCHEMA } from "../../provider/cli/report-schema";
import { selectionOf } from "../../provider/cli/targets";
import { INPUT_ATTRIBUTES } from "../../provider/engine/schema";
import { conformsToSchema } from "../support/json-schema";

const ID = "i-0123456789abcdef0";

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("the command line's pure parts", () => {
  describe("--filter in the AWS CLI's syntax", () => {
    it("reads the shorthand with several values and wildcards", () => {
      expect(parseFilter("Name=tag:Role,Values=ci-runner,build-*")).to.deep.equal({
        Name: "tag:Role",
        Values: ["ci-runner", "build-*"],
      });
    });

    it("reads the JSON form", () => {
      expect(parseFilter('{"Name":"instance-type","Values":["m8i.large"]}')).to.deep.equal({
        Name: "instance-type",
        Values: ["m8i.large"],
      });
    });

    for (const bad of [
      "tag:Role=ci",
      "Name=tag:Role",
      "Name=tag:Role,Values=",
      "Name=a,Values=x,,y",
      '{"Name":"a"}',
      "{",
    ]) {
      it(`refuses ${JSON.stringify(bad)} with an example of the syntax`, () => {
        expect(usageMessage(() => parseFilter(bad)))
          .to.contain("is not a filter")
          .and.contain("Values");
      });
    }

    it("writes a filter back as the user would type it", () => {
      expect(describeFilter({ Name: "tag:Role", Values: ["a", "b"] })).to.equal("Name=tag:Role,Values=a,b");
    });
  });

  describe("targets", () => {
    it("turns a group name into a filter on the tag EC2 puts on members", () => {
      expect(selectionOf([ID, ID], { autoScalingGroup: ["ci", "web"] })).to.deep.equal({
        instanceIds: [ID],
        filters: [{ Name: "tag:aws:autoscaling:groupName", Values: ["ci", "web"] }],
      });
    });

    it("names every malformed ID and the expected form", () => {
      const message = usageMessage(() => selectionOf(["i-123", ID, "web-1"], {}));
      expect(message).to.contain('"i-123", "web-1" are not instance IDs').and.contain("i-0123456789abcdef0");
    });
  });

  describe("flags and the resource schema", () => {
    it("places every input of the schema: a flag of the program, or why none", () => {
      expect(Object.keys(INPUT_PLACEMENT).sort()).to.deep.equal(INPUT_ATTRIBUTES.map((a) => a.name).sort());
      const apply = buildProgram().commands.find((c) => c.name() === "apply");
      const flags = new Set(apply?.options.map((o) => o.long));
      for (const where of Object.values(INPUT_PLACEMENT)) if ("flag" in where) expect(flags).to.include(where.flag);
    });

    it("maps --auto-scaling allow and standby to autoScaling", () => {
      expect(rawInputsOf({ autoScaling: "allow" }).autoScaling).to.equal("allow");
      expect(rawInputsOf({ autoScaling: "standby" }).autoScaling).to.equal("standby");
      expect(rawInputsOf({}).autoScaling).to.equal(undefined);
    });

    it("maps --verify-in-guest to verifyInGuest, off unless given", () => {
      expect(rawInputsOf({ verifyInGuest: true }).verifyInGuest).to.equal(true);
      expect(rawInputsOf({}).verifyInGuest).to.equal(false);
      const apply = buildProgram().commands.find((c) => c.name() === "apply");
      expect(apply?.options.find((o) => o.long === "--verify-in-guest")?.description).to.include("SSM Run Command");
    });

    it("refuses a choice it does not know, naming the ones it has", () => {
      expect(usageMessage(() => rawInputsOf({ stopProtection: "ignore" }))).to.contain(
        "--stop-protection ignore: choose one of lift",
      );
    });

    it("maps --stop-protection lift to stopProtection", () => {
      expect(rawInputsOf({ stopProtection: "lift" }).stopProtection).to.equal("lift");
      expect(rawInputsOf({}).stopProtection).to.equal(undefined);
    });

    it("validates through the schema's parser and names the flag", () => {
      expect(usageMessage(() => validateFlags({ maxUnavailable: "2.5" }))).to.match(
        /^--max-unavailable: maxUnavailable must be a whole number/,
      );
      expect(usageMessage(() => validateFlags({ timeout: ["stop=25h"] }))).to.match(
        /^--timeout: timeouts.stop must be a duration/,
      );
      expect(usageMessage(() => validateFlags({ timeout: ["halt=1m"] }))).to.contain(
        "FIELD one of stop, start, healthy",
      );
      expect(
        validateFlags({ disable: true, maxUnavailable: "4", timeout: ["stop=1m,start=2m"], region: "eu-west-1" }),
      ).to.deep.equal({
        raw: {
          nestedVirtualization: "disabled",
          region: "eu-west-1",
          waitForStatusChecks: false,
          verifyInGuest: false,
          maxUnavailable: 4,
          timeouts: { stop: "1m", start: "2m" },
        },
        region: "eu-west-1",
      });
    });
  });

  describe("the progress board", () => {
    it("tells the state EC2 reported at each phase and the time spent waiting for a slot", () => {
      const board = new ProgressBoard([{ instanceId: ID, state: "running", stops: true }]);
      const seen: string[] = [];
      board.onChange((row) => seen.push(`${row.phase}:${row.state}`));
      board.phase(ID, "acquire-slot", 1000);
      board.phase(ID, "write-journal", 3500);
      board.phase(ID, "stop", 3600);
      board.phase(ID, "wait-stopped", 3700);
      board.phase(ID, "modify", 5000);
      board.phase(ID, "start", 5100);
      board.phase(ID, "wait-running", 5200);
      board.phase(ID, "clear-journal", 7000);
      board.finish(ID, "changed", "running", 7100);
      expect(seen).to.deep.equal([
        "acquire-slot:running",
        "write-journal:running",
        "stop:running",
        "wait-stopped:stopping",
        "modify:stopped",
        "start:stopped",
        "wait-running:pending",
        "clear-journal:running",
        "clear-journal:running",
      ]);
      expect(board.rows[0].slotWaitMs).to.equal(2500);
      expect(board.rows[0].result).to.equal("changed");
    });

    it("leaves a stopped instance stopped when its cycle only modifies it", () => {
      const board = new ProgressBoard([{ instanceId: ID, state: "stopped", stops: false }]);
      board.phase(ID, "modify");
      board.phase(ID, "clear-journal");
      expect(board.rows[0].state).to.equal("stopped");
    });

    it("estimates the rest of the rollout from the cycles finished so far, by waves of maxUnavailable", () => {
      const ids = ["i-00000001", "i-00000002", "i-00000003", "i-00000004", "i-00000005"];
      const board = new ProgressBoard(
        [
          ...ids.map((instanceId) => ({ instanceId, state: "running", stops: true })),
          { instanceId: ID, state: "stopped", stops: false },
        ],
        2,
      );
      expect(board.estimate(), "nothing measured yet").to.equal(undefined);
      board.finish(ID, "changed", "stopped", 1000, 0);
      expect(board.estimate(), "a stopped instance's modify is no downtime").to.equal(undefined);
      board.finish(ids[0], "changed", "running", 2000, 40);
      board.finish(ids[1], "changed", "running", 2000, 60);
      // Three instances still to stop, two at a time: two waves of the median (50 s).
      expect(board.estimate()).to.deep.equal({
        cyclesObserved: 2,
        medianDowntimeMs: 50_000,
        wavesLeft: 2,
        remainingMs: 100_000,
      });
      for (const id of ids.slice(2)) board.finish(id, "changed", "running", 3000, 30);
      expect(board.estimate()).to.deep.include({
        cyclesObserved: 5,
        medianDowntimeMs: 30_000,
        wavesLeft: 0,
        remainingMs: 0,
      });
    });
  });

  describe("the JSON document's schema", () => {
    it("describes exactly the fields a report has", () => {
      const instance: InstanceReport = {
        instanceId: ID,
        instanceType: "m8i.large",
        state: "running",
        nestedVirtualization: "enabled",
        supported: true,
        autoScalingGroup: null,
        action: "cycle",
        result: "changed",
        steps: ["stop i-…"],
        warnings: [{ code: "public-ip-will-change", message: "…" }],
        blockers: [],
        cycleInFlight: {
          from: "disabled",
          to: "enabled",
          priorState: "running",
          startedAt: "t",
          runToken: null,
          leaseUntil: null,
          live: false,
        },
        error: { code: "CycleFailed", message: "…" },
        lastCycle: { stoppedAt: "t", modifiedAt: "t", startedAt: "t", downtimeSeconds: 3, slotWaitSeconds: 1 },
      };
      const report: Report = {
        schemaVersion: 1,
        command: "apply",
        region: "us-east-1",
        outcome: "done",
        exitCode: 0,
        nestedVirtualization: "enabled",
        instances: [instance],
        disruption: {
          instancesStopped: 1,
          maxUnavailable: 1,
          waves: 1,
          downtimePerWaveAtMostSeconds: 1200,
          observed: { cycles: 1, medianDowntimeSeconds: 3, maxDowntimeSeconds: 3 },
        },
        interruptedAt: null,
        error: null,
      };
      conformsToSchema(report, REPORT_JSON_SCHEMA);
    });
  });
});
