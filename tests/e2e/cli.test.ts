import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { type Ec2Emulator, mostNotRunningAtOnce, type SeedInstance, startEmulator } from "../../emulator";
import type { Report } from "../../provider/cli/report";
import { REPORT_JSON_SCHEMA } from "../../provider/cli/report-schema";
import { JOURNAL_TAG_KEY } from "../../provider/engine";
import { conformsToSchema } from "../support/json-schema";
import { cliEnvironment, type InstalledCli, installCli, runCli, startCli, TmuxTerminal } from "./support/cli-package";
import { firstStoppedInstance } from "./support/first-stop";
import { waitFor } from "./support/wait-for";

const GROUP_TAG = "aws:autoscaling:groupName";

/**
 * The `nestedvirt` command line from the packed and installed package (node_modules/.bin), against
 * the EC2 emulator: what the user sees (plain lines, JSON, a real terminal) and what EC2 saw.
 */
describe("end to end: the nestedvirt command line from the packed package", function () {
  this.timeout(5 * 60 * 1000);
  let cli: InstalledCli;
  let emulator: Ec2Emulator;
  let env: NodeJS.ProcessEnv;

  before(function () {
    this.timeout(10 * 60 * 1000);
    cli = installCli();
  });
  after(() => cli?.dispose());
  beforeEach(async () => {
    emulator = await startEmulator({ stoppingMs: 300, pendingMs: 300, regionScoped: true });
    env = cliEnvironment(emulator.endpoint);
  });
  afterEach(async () => emulator?.close());

  const seed = (overrides: SeedInstance = {}) =>
    emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
      ...overrides,
    });
  const fleet = (size: number, overrides: SeedInstance = {}) => Array.from({ length: size }, () => seed(overrides));
  const nestedvirt = (...args: string[]) => runCli(cli.bin, args, env);
  /** The --output json document, held to docs/cli/output.schema.json's shape. */
  const json = (stdout: string) => {
    const report = JSON.parse(stdout) as Report;
    conformsToSchema(report, REPORT_JSON_SCHEMA);
    return report;
  };
  const mutating = () => emulator.mutatingCalls();
  const stateOf = (id: string) => emulator.instance(id).state;
  const settingOf = (id: string) => emulator.instance(id).nestedVirtualization;
  const journalOf = (id: string) => emulator.instance(id).tags[JOURNAL_TAG_KEY];

  describe("status", () => {
    it("shows a line per instance named by ID: type, state, setting, support, and the blocker of an unsupported type", async () => {
      const supported = seed();
      const unsupported = seed({ instanceType: "m6i.large" });
      const run = await nestedvirt("status", supported, unsupported);

      expect(run.code).to.equal(0);
      const lines = run.stdout.trim().split("\n");
      for (const line of lines) expect(line).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
      expect(run.stdout).to.match(
        new RegExp(`${supported} type=m8i\\.large state=running setting=disabled action=cycle supported=yes`),
      );
      expect(run.stdout).to.match(new RegExp(`${unsupported} type=m6i\\.large .*action=blocked supported=no`));
      expect(run.stdout).to.contain(`blocker  Instance ${unsupported} is a m6i.large, which does not support`);
      expect(mutating()).to.deep.equal([]);
    });

    it("shows a cycle in flight from the journal, and whose run it is", async () => {
      const id = seed({ state: "stopped" });
      const journal = {
        v: 2,
        prior: "running",
        from: "disabled",
        to: "enabled",
        at: "2026-01-01T00:00:00Z",
        run: "feedc0de-1111",
      };
      emulator.setTag(id, JOURNAL_TAG_KEY, JSON.stringify(journal));
      const report = json((await nestedvirt("status", id, "--output", "json")).stdout);

      expect(report.instances[0].cycleInFlight).to.deep.equal({
        from: "disabled",
        to: "enabled",
        priorState: "running",
        startedAt: "2026-01-01T00:00:00Z",
        runToken: "feedc0de-1111",
        leaseUntil: null,
        live: false,
      });
      expect(report.instances[0].action).to.equal("resume");
      expect(mutating()).to.deep.equal([]);
    });
  });

  describe("plan", () => {
    it("on a tag filter: the matching instances, the disruption in waves, and no mutating call", async () => {
      const runners = fleet(7, { tags: { Role: "ci-runner" } });
      seed({ tags: { Role: "web" } });
      const run = await nestedvirt(
        "plan",
        "--filter",
        "Name=tag:Role,Values=ci-runner",
        "--max-unavailable",
        "3",
        "--timeout",
        "stop=2m,start=3m",
        "--output",
        "json",
      );

      expect(run.code).to.equal(0);
      const report = json(run.stdout);
      expect(report.command).to.equal("plan");
      expect(report.outcome).to.equal("done");
      expect(report.instances.map((i) => i.instanceId).sort()).to.deep.equal([...runners].sort());
      expect(report.instances.every((i) => i.action === "cycle" && i.result === null)).to.equal(true);
      expect(report.disruption).to.deep.equal({
        instancesStopped: 7,
        maxUnavailable: 3,
        waves: 3,
        downtimePerWaveAtMostSeconds: 300,
        observed: null,
      });
      expect(mutating()).to.deep.equal([]);
      // The filter's DescribeInstances already returned every instance: the plan reads none again.
      expect(emulator.calls.filter((c) => c.action === "DescribeInstances").length).to.equal(1);
    });

    it("exits 2 on blockers and says which instance and why", async () => {
      const id = seed({ disableApiStop: true });
      const run = await nestedvirt("plan", id);
      expect(run.code).to.equal(2);
      expect(run.stdout).to.contain(`blocker  Instance ${id} has stop protection (disableApiStop)`);
      expect(mutating()).to.deep.equal([]);
    });
  });

  describe("apply", () => {
    it("with --stop-protection lift cycles a protected instance and turns its protection on again", async () => {
      const id = seed({ disableApiStop: true });
      const plan = await nestedvirt("plan", id, "--stop-protection", "lift");
      expect(plan.code, plan.stderr).to.equal(0);
      expect(plan.stdout).to.contain(
        `Instance ${id} has stop protection (disableApiStop); it will be lifted for the cycle`,
      );
      expect(mutating()).to.deep.equal([]);

      const run = await nestedvirt("apply", id, "--stop-protection", "lift");
      expect(run.code, run.stderr).to.equal(0);
      const protection = emulator.mutatingCalls().filter((c) => c.action === "ModifyInstanceAttribute");
      expect(protection.map((c) => c.params["DisableApiStop.Value"])).to.deep.equal(["false", "true"]);
      expect(emulator.instance(id)).to.deep.include({
        state: "running",
        nestedVirtualization: "enabled",
        disableApiStop: true,
      });
    });

    it("of 50 instances with --max-unavailable 5 never has more than 5 down, and enables them all", async () => {
      const ids = fleet(50);
      const run = await nestedvirt("apply", ...ids, "--max-unavailable", "5", "--output", "json");

      expect(run.code, run.stderr).to.equal(0);
      const report = json(run.stdout);
      expect(report.outcome).to.equal("done");
      expect(report.instances.every((i) => i.result === "changed" && i.state === "running")).to.equal(true);
      expect(report.instances.every((i) => i.nestedVirtualization === "enabled")).to.equal(true);
      expect(report.disruption?.waves).to.equal(10);
      // Beside the plan's bound, what the 50 cycles measured: their own downtimes, summarized.
      const downtimes = report.instances.map((i) => i.lastCycle?.downtimeSeconds ?? 0);
      expect(report.disruption?.observed).to.deep.equal({
        cycles: 50,
        medianDowntimeSeconds:
          [...downtimes]
            .sort((a, b) => a - b)
            .slice(24, 26)
            .reduce((a, b) => a + b) / 2,
        maxDowntimeSeconds: Math.max(...downtimes),
      });
      expect(mostNotRunningAtOnce(emulator.stateHistory(ids))).to.equal(5);
      expect(ids.map(settingOf)).to.deep.equal(ids.map(() => "enabled"));
      expect(ids.filter((id) => journalOf(id) !== undefined)).to.deep.equal([]);
      const waits = report.instances.map((i) => i.lastCycle?.slotWaitSeconds ?? -1);
      expect(waits.filter((w) => w > 0).length).to.be.at.least(40);
    });

    it("--verify-in-guest proves each guest over SSM; a guest without /dev/kvm fails the run, naming it", async () => {
      const [good, broken] = fleet(2);
      emulator.setGuest(broken, { kvmModule: false });
      const withSsm = { ...env, AWS_ENDPOINT_URL_SSM: emulator.endpoint };
      const run = await runCli(
        cli.bin,
        ["apply", good, broken, "--verify-in-guest", "--max-unavailable", "2", "--output", "json"],
        withSsm,
      );

      expect(run.code, run.stderr).to.equal(1);
      const report = json(run.stdout);
      expect(report.outcome).to.equal("failed");
      const byId = Object.fromEntries(report.instances.map((i) => [i.instanceId, i]));
      expect(byId[good]?.result).to.equal("changed");
      expect(byId[good]?.lastCycle?.guestVerifiedAt).to.be.a("string");
      expect(byId[broken]?.result).to.equal("failed");
      expect(byId[broken]?.error?.message).to.contain(broken).and.contain("/dev/kvm: missing");
      expect([good, broken].map(stateOf)).to.deep.equal(["running", "running"]);
      expect(
        mutating()
          .filter((c) => c.action === "SendCommand")
          .map((c) => c.instanceIds[0]),
      ).to.have.members([good, broken]);
    });

    it("on an Auto Scaling group: blocked without --auto-scaling allow; with it, only the group's members change", async () => {
      const members = fleet(3, { tags: { [GROUP_TAG]: "ci-runners" } });
      const other = seed({ tags: { [GROUP_TAG]: "web" } });

      const blocked = await nestedvirt("apply", "--auto-scaling-group", "ci-runners");
      expect(blocked.code).to.equal(2);
      expect(blocked.stdout).to.contain(`belongs to Auto Scaling group "ci-runners"`);
      expect(mutating()).to.deep.equal([]);

      const run = await nestedvirt(
        "apply",
        "--auto-scaling-group",
        "ci-runners",
        "--auto-scaling",
        "allow",
        "--max-unavailable",
        "2",
      );
      expect(run.code, run.stderr).to.equal(0);
      for (const id of members) {
        expect(run.stdout).to.match(
          new RegExp(`${id} (done: changed|type=m8i\\.large state=running setting=enabled result=changed)`),
        );
      }
      expect(run.stdout).to.match(/apply: done \(exit 0\): 3 changed\./);
      expect(members.map(settingOf)).to.deep.equal(["enabled", "enabled", "enabled"]);
      expect(settingOf(other)).to.equal("disabled");
      expect(mutating().flatMap((c) => c.instanceIds)).to.not.include(other);
      expect(mostNotRunningAtOnce(emulator.stateHistory(members))).to.be.at.most(2);
    });

    it("--auto-scaling standby: each member goes to Standby around its cycle and back InService; the group launches none", async () => {
      const members = fleet(2);
      const launchTemplateId = emulator.addLaunchTemplate("cli-runners", [{ nestedVirtualization: "enabled" }]);
      emulator.addAutoScalingGroup({
        name: "ci-runners",
        instanceIds: members,
        minSize: 0,
        launchTemplate: { launchTemplateId },
      });

      const run = await nestedvirt("apply", "--auto-scaling-group", "ci-runners", "--auto-scaling", "standby");

      expect(run.code, run.stderr).to.equal(0);
      expect(members.map(settingOf)).to.deep.equal(["enabled", "enabled"]);
      expect(members.map(stateOf)).to.deep.equal(["running", "running"]);
      const group = emulator.autoScalingGroup("ci-runners");
      expect(group.members.map((m) => m.lifecycleState)).to.deep.equal(["InService", "InService"]);
      expect(group.replacementsLaunched).to.deep.equal([]);
      for (const id of members) {
        const calls = mutating()
          .filter((c) => c.instanceIds.includes(id))
          .map((c) => c.action);
        expect(calls.filter((a) => a !== "CreateTags" && a !== "DeleteTags")).to.deep.equal([
          "EnterStandby",
          "StopInstances",
          "ModifyInstanceCpuOptions",
          "StartInstances",
          "ExitStandby",
        ]);
      }
    });

    it("Ctrl-C (SIGINT) mid-apply: no StopInstances after it, the cycles in flight finish, every instance runs, exit 130", async () => {
      const ids = fleet(8, { stoppingMs: 1500, pendingMs: 1500 });
      const running = startCli(cli.bin, ["apply", ...ids, "--max-unavailable", "2", "--output", "json"], env);
      await firstStoppedInstance(emulator, ids);
      running.child.kill("SIGINT");
      await waitFor(() => running.output.stderr.includes("SIGINT: no instance is stopped from now on"), 10_000);
      const noticedAt = Date.now();
      const run = await running.ended;

      expect(run.code).to.equal(130);
      const report = json(run.stdout);
      expect(report.outcome).to.equal("interrupted");
      expect(report.interruptedAt).to.be.a("string");
      const stops = mutating().filter((c) => c.action === "StopInstances");
      expect(stops.filter((c) => c.at > noticedAt)).to.deep.equal([]);
      const stopped = new Set(stops.flatMap((c) => c.instanceIds));
      expect(stopped.size).to.be.at.most(2);
      for (const i of report.instances) {
        expect(i.result).to.equal(stopped.has(i.instanceId) ? "changed" : "cancelled");
        expect(i.state).to.equal("running");
      }
      expect(ids.map(stateOf)).to.deep.equal(ids.map(() => "running"));
      expect(ids.filter((id) => journalOf(id) !== undefined)).to.deep.equal([]);
    });
  });

  describe("recover", () => {
    it("after a SIGKILL mid-apply finishes the journaled cycles: every instance running, no journal left", async () => {
      const ids = fleet(6, { stoppingMs: 1000, pendingMs: 1000, tags: { Role: "ci-runner" } });
      const running = startCli(
        cli.bin,
        ["apply", "--filter", "Name=tag:Role,Values=ci-runner", "--max-unavailable", "2"],
        env,
      );
      await firstStoppedInstance(emulator, ids);
      running.child.kill("SIGKILL");
      await running.ended;
      const journaled = ids.filter((id) => journalOf(id) !== undefined);
      expect(journaled.length).to.be.within(1, 2);

      const status = json((await nestedvirt("status", ...ids, "--output", "json")).stdout);
      expect(
        status.instances
          .filter((i) => i.cycleInFlight !== null)
          .map((i) => i.instanceId)
          .sort(),
      ).to.deep.equal([...journaled].sort());

      const run = await nestedvirt("recover", "--all", "--output", "json");
      expect(run.code, run.stderr).to.equal(0);
      const report = json(run.stdout);
      expect(report.instances.map((i) => i.instanceId).sort()).to.deep.equal([...journaled].sort());
      expect(report.instances.every((i) => i.result === "recovered" && i.state === "running")).to.equal(true);
      expect(ids.map(stateOf)).to.deep.equal(ids.map(() => "running"));
      expect(ids.filter((id) => journalOf(id) !== undefined)).to.deep.equal([]);
      for (const id of journaled) expect(settingOf(id)).to.equal("enabled");

      const again = await nestedvirt("recover", "--filter", "Name=tag:Role,Values=ci-runner");
      expect(again.code).to.equal(0);
      expect(again.stderr).to.contain("nothing to recover");
    });

    it("on IDs and on a group: only the named instances' journals", async () => {
      const [a, b] = fleet(2, { state: "stopped", tags: { [GROUP_TAG]: "ci-runners" } });
      const journal = JSON.stringify({
        v: 2,
        prior: "running",
        from: "disabled",
        to: "enabled",
        at: "2026-01-01T00:00:00Z",
      });
      emulator.setTag(a, JOURNAL_TAG_KEY, journal);
      emulator.setTag(b, JOURNAL_TAG_KEY, journal);

      const byId = await nestedvirt("recover", a, "--auto-scaling", "allow", "--output", "json");
      expect(byId.code, byId.stderr).to.equal(0);
      expect(json(byId.stdout).instances.map((i) => i.instanceId)).to.deep.equal([a]);
      expect([stateOf(a), journalOf(a), settingOf(a)]).to.deep.equal(["running", undefined, "enabled"]);
      expect([stateOf(b), journalOf(b) !== undefined]).to.deep.equal(["stopped", true]);

      const byGroup = await nestedvirt("recover", "--auto-scaling-group", "ci-runners", "--auto-scaling", "allow");
      expect(byGroup.code, byGroup.stderr).to.equal(0);
      expect([stateOf(b), journalOf(b), settingOf(b)]).to.deep.equal(["running", undefined, "enabled"]);
    });
  });

  describe("a real terminal (tmux)", () => {
    let terminal: TmuxTerminal | undefined;
    afterEach(() => terminal?.close());

    it("shows the plan, asks, and draws each instance's progress in place until done", async () => {
      const ids = fleet(3, { stoppingMs: 1500, pendingMs: 1500 });
      const exitFile = path.join(cli.dir, `exit-${Date.now()}`);
      terminal = new TmuxTerminal(env);
      terminal.type(`${cli.bin} apply ${ids.join(" ")} --max-unavailable 1; echo "exit=$?" > ${exitFile}`);

      const asked = await terminal.waitForScreen(/Only "yes" is accepted:/);
      expect(asked).to.match(/│ instance\s+│ type\s+│ state\s+│ setting\s+│ action\s+│ result\s+│/);
      for (const id of ids)
        expect(asked).to.match(new RegExp(`│ ${id} │ m8i\\.large │ running\\s+│ disabled │ cycle\\s+│`));
      expect(asked).to.contain("3 instances stop, at most 1 at once: 3 waves");
      expect(mutating()).to.deep.equal([]);
      terminal.type("yes");

      const live = await terminal.waitForScreen(/\d\/3 finished, 1 out of service/);
      expect(live).to.contain("waiting for a slot");
      expect(live).to.match(/│ instance\s+│ state\s+│ phase\s+│ elapsed\s+│ slot wait\s+│/);
      // Once the first wave is measured, the rest of the rollout is estimated from it (two waves of one).
      await terminal.waitForScreen(/cycles so far: median \d+\.\ds down, about \d+\.\ds to go \(2 waves\)/);
      const done = await terminal.waitForScreen(/apply: done \(exit 0\): 3 changed\./, 120_000);
      for (const id of ids)
        expect(done).to.match(new RegExp(`│ ${id} │ running │ changed\\s+│ \\d+\\.\\ds\\s+│ \\d+\\.\\ds\\s+│`));
      expect(done).to.contain("3/3 finished, 0 out of service");
      expect(done).to.match(/Measured: 3 cycles out of service for a median of \d+\.\ds, at most \d+\.\ds\./);
      // Redrawn in place: one progress table on the screen, not one per redraw.
      expect(done.match(/│ instance\s+│ state\s+│ phase/g)?.length).to.equal(1);
      await waitFor(() => fs.existsSync(exitFile), 10_000);
      expect(fs.readFileSync(exitFile, "utf8").trim()).to.equal("exit=0");
      expect(ids.map(settingOf)).to.deep.equal(["enabled", "enabled", "enabled"]);
    });

    it("answering anything but yes changes nothing (exit 2)", async () => {
      const id = seed();
      const exitFile = path.join(cli.dir, `exit-${Date.now()}`);
      terminal = new TmuxTerminal(env);
      terminal.type(`${cli.bin} apply ${id}; echo "exit=$?" > ${exitFile}`);
      await terminal.waitForScreen(/Only "yes" is accepted:/);
      terminal.type("y");
      await terminal.waitForScreen(/Nothing was changed\./);
      await waitFor(() => fs.existsSync(exitFile), 10_000);
      expect(fs.readFileSync(exitFile, "utf8").trim()).to.equal("exit=2");
      expect(mutating()).to.deep.equal([]);
    });

    it("Ctrl-C at the prompt changes nothing and exits 130", async () => {
      const id = seed();
      const exitFile = path.join(cli.dir, `exit-${Date.now()}`);
      terminal = new TmuxTerminal(env);
      terminal.type(`${cli.bin} apply ${id}; echo "exit=$?" > ${exitFile}`);
      await terminal.waitForScreen(/Only "yes" is accepted:/);
      terminal.interrupt();
      await terminal.waitForScreen(/Nothing was changed\./);
      await waitFor(() => fs.existsSync(exitFile), 10_000);
      expect(fs.readFileSync(exitFile, "utf8").trim()).to.equal("exit=130");
      expect(mutating()).to.deep.equal([]);
    });
  });

  describe("bad input: a clear message, exit 2, no EC2 call beyond reads", () => {
    const cases: { name: string; args: (id: string) => string[]; message: RegExp; noCalls: boolean }[] = [
      {
        name: "an unknown flag",
        args: (id) => ["apply", id, "--max-unavailabel", "3"],
        message: /unknown option '--max-unavailabel'/,
        noCalls: true,
      },
      { name: "an unknown command", args: (id) => ["enable", id], message: /unknown command 'enable'/, noCalls: true },
      {
        name: "a malformed instance ID",
        args: () => ["apply", "i-12345"],
        message: /"i-12345" is not an instance ID: expected "i-" followed by 8 or 17/,
        noCalls: true,
      },
      {
        name: "a malformed filter",
        args: () => ["apply", "--filter", "tag:Role=ci"],
        message: /--filter "tag:Role=ci" is not a filter: write it as the AWS CLI does, Name=NAME,Values=/,
        noCalls: true,
      },
      {
        name: "an out-of-range --max-unavailable",
        args: (id) => ["apply", id, "--max-unavailable", "0"],
        message: /--max-unavailable: maxUnavailable must be a whole number from 1 to 1000; got 0/,
        noCalls: true,
      },
      {
        name: "a malformed --timeout",
        args: (id) => ["apply", id, "--timeout", "stop=soon"],
        message: /--timeout: timeouts.stop must be a duration/,
        noCalls: true,
      },
      { name: "no targets", args: () => ["apply"], message: /apply: name the instances/, noCalls: true },
      {
        name: "a malformed region",
        args: (id) => ["apply", id, "--region", "europe"],
        message: /--region: region "europe" is not an AWS region name/,
        noCalls: true,
      },
      {
        name: "a filter matching nothing",
        args: () => ["apply", "--filter", "Name=tag:Role,Values=nobody"],
        message:
          /No running, stopped, pending or stopping instance in region us-east-1 matches --filter Name=tag:Role,Values=nobody/,
        noCalls: false,
      },
      {
        name: "a group with no members",
        args: () => ["apply", "--auto-scaling-group", "ghosts"],
        message: /matches --filter Name=tag:aws:autoscaling:groupName,Values=ghosts/,
        noCalls: false,
      },
      {
        name: "an instance of another region",
        args: (id) => ["apply", id, "--region", "eu-west-1"],
        message: /None of the instances named was found in region eu-west-1: i-[0-9a-f]+\. Check the IDs and --region/,
        noCalls: false,
      },
      {
        name: "a filter in another region",
        args: () => ["plan", "--filter", "Name=instance-type,Values=m8i.large", "--region", "eu-west-1"],
        message: /in region eu-west-1 matches/,
        noCalls: false,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const id = seed();
        const run = await nestedvirt(...c.args(id));
        expect(run.code, run.stderr).to.equal(2);
        expect(run.stderr).to.match(c.message);
        if (c.noCalls) expect(emulator.calls).to.deep.equal([]);
        expect(mutating()).to.deep.equal([]);
        expect(emulator.calls.every((call) => call.action.startsWith("Describe") || call.dryRun)).to.equal(true);
      });
    }

    it("--output json still gives one document for a usage error", async () => {
      const run = await nestedvirt("plan", "i-12345", "--output", "json");
      expect(run.code).to.equal(2);
      const report = json(run.stdout);
      expect(report.outcome).to.equal("usage-error");
      expect(report.exitCode).to.equal(2);
      expect(report.error?.message).to.contain('"i-12345" is not an instance ID');
    });
  });

  describe("help", () => {
    it("lists the commands, the exit codes, and each command's options", async () => {
      const top = await nestedvirt("--help");
      expect(top.code).to.equal(0);
      for (const command of ["status", "plan", "apply", "recover"])
        expect(top.stdout).to.match(new RegExp(`^  ${command} `, "m"));
      expect(top.stdout).to.contain("Exit codes:").and.contain("130 interrupted");
      const apply = await nestedvirt("apply", "--help");
      expect(apply.code).to.equal(0);
      for (const flag of [
        "--max-unavailable <n>",
        "--wait-for-status-checks",
        "--auto-scaling <mode>",
        "--filter",
        "--yes",
        "--timeout",
      ])
        expect(apply.stdout).to.contain(flag);
      expect(apply.stdout).to.contain("1 to 1000, default 1");
      expect(emulator.calls).to.deep.equal([]);
    });
  });
});
