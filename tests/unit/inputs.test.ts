import { expect } from "chai";
import { parseDuration, parseInputs } from "../../provider/engine";

describe("validating inputs (pure)", () => {
  it("applies the documented defaults", () => {
    const { desired, failures } = parseInputs({ instanceId: "i-0123456789abcdef0" });
    expect(failures).to.deep.equal([]);
    expect(desired).to.deep.equal({
      instanceId: "i-0123456789abcdef0",
      nestedVirtualization: "enabled",
      allowAutoScalingGroupMember: false,
      autoScaling: "refuse",
      stopProtection: "refuse",
      onDelete: "keep",
      timeouts: { stopSeconds: 600, startSeconds: 600, healthySeconds: 600 },
      waitForStatusChecks: false,
      verifyInGuest: false,
      maxUnavailable: 1,
    });
  });

  it('reads the deprecated allowAutoScalingGroupMember = true as autoScaling = "allow"', () => {
    const parsed = parseInputs({ instanceId: "i-0123456789abcdef0", allowAutoScalingGroupMember: true });
    expect(parsed.failures).to.deep.equal([]);
    expect(parsed.desired?.autoScaling).to.equal("allow");
    expect(parsed.values.autoScaling).to.equal("allow");
    const both = parseInputs({
      instanceId: "i-0123456789abcdef0",
      allowAutoScalingGroupMember: true,
      autoScaling: "allow",
    });
    expect(both.desired?.autoScaling).to.equal("allow");
  });

  it("refuses the deprecated allowAutoScalingGroupMember = true with another autoScaling choice", () => {
    for (const autoScaling of ["standby", "refuse"]) {
      const { failures, desired } = parseInputs({
        instanceId: "i-0123456789abcdef0",
        allowAutoScalingGroupMember: true,
        autoScaling,
      });
      expect(desired).to.equal(undefined);
      expect(failures).to.have.length(1);
      expect(failures[0]?.attribute).to.equal("autoScaling");
      expect(failures[0]?.message)
        .to.contain(`autoScaling "${autoScaling}" conflicts with the deprecated allowAutoScalingGroupMember = true`)
        .and.contain("Remove allowAutoScalingGroupMember");
    }
  });

  it("takes a rollout group and refuses a maxUnavailable that is not a whole number from 1", () => {
    const parsed = parseInputs({ instanceId: "i-0123456789abcdef0", rolloutGroup: "ci-runners", maxUnavailable: 3 });
    expect(parsed.desired).to.deep.include({ rolloutGroup: "ci-runners", maxUnavailable: 3 });
    for (const bad of [0, 1.5, "3"]) {
      const { failures } = parseInputs({ instanceId: "i-0123456789abcdef0", rolloutGroup: "ci", maxUnavailable: bad });
      expect(failures).to.deep.equal([
        {
          attribute: "maxUnavailable",
          message: `maxUnavailable must be a whole number from 1 to 1000; got ${JSON.stringify(bad)}.`,
        },
      ]);
    }
  });

  it("accepts the short 8-digit instance ID form", () => {
    expect(parseInputs({ instanceId: "i-0123abcd" }).failures).to.deep.equal([]);
  });

  it("names the attribute and shows an example for a malformed instance ID", () => {
    const { desired, failures } = parseInputs({ instanceId: "i-XYZ" });
    expect(desired).to.equal(undefined);
    expect(failures).to.have.length(1);
    expect(failures[0].attribute).to.equal("instanceId");
    expect(failures[0].message).to.contain('"i-XYZ"').and.contain("i-0123456789abcdef0");
  });

  it("requires an instance ID", () => {
    expect(parseInputs({}).failures[0].message).to.contain("instanceId is required");
  });

  it("rejects an unknown nestedVirtualization value, listing the allowed ones", () => {
    const failure = parseInputs({ instanceId: "i-0123456789abcdef0", nestedVirtualization: "on" }).failures[0];
    expect(failure.attribute).to.equal("nestedVirtualization");
    expect(failure.message).to.contain('"enabled", "disabled"');
  });

  it("rejects bad timeouts per field", () => {
    const { failures } = parseInputs({ instanceId: "i-0123456789abcdef0", timeouts: { stop: "soon", start: "0s" } });
    expect(failures.map((f) => f.attribute)).to.deep.equal(["timeouts.stop", "timeouts.start"]);
  });

  it("rejects a non-boolean allowAutoScalingGroupMember and an unknown onDelete", () => {
    const { failures } = parseInputs({
      instanceId: "i-0123456789abcdef0",
      allowAutoScalingGroupMember: "yes",
      onDelete: "destroy",
    });
    expect(failures.map((f) => f.attribute)).to.deep.equal(["allowAutoScalingGroupMember", "onDelete"]);
  });

  it("rejects a malformed region", () => {
    expect(parseInputs({ instanceId: "i-0123456789abcdef0", region: "Mars" }).failures[0].attribute).to.equal("region");
  });

  it("holds timeouts to the rule its message states: from 1s to 24h", () => {
    const failing = (stop: string) =>
      parseInputs({ instanceId: "i-0123456789abcdef0", timeouts: { stop } }).failures.map((f) => f.message);
    for (const stop of ["1ms", "500ms", "0.9s", "24h1s", "25h"]) {
      expect(failing(stop), stop).to.have.length(1);
      expect(failing(stop)[0], stop).to.contain("from 1s to 24h");
    }
    for (const stop of ["1s", "1000ms", "90s", "24h"]) expect(failing(stop), stop).to.deep.equal([]);
  });

  it("refuses an instance ID or region with spaces around it, saying what to write, instead of trimming it", () => {
    const { desired, failures } = parseInputs({ instanceId: " i-0123456789abcdef0 ", region: "us-east-1 " });
    expect(desired).to.equal(undefined);
    expect(failures).to.deep.equal([
      {
        attribute: "instanceId",
        message: 'instanceId " i-0123456789abcdef0 " has spaces around it; write "i-0123456789abcdef0".',
      },
      { attribute: "region", message: 'region "us-east-1 " has spaces around it; write "us-east-1".' },
    ]);
  });

  it("parses Go-style durations", () => {
    expect(parseDuration("90s")).to.equal(90);
    expect(parseDuration("1h30m")).to.equal(5400);
    expect(parseDuration("1.5m")).to.equal(90);
    expect(parseDuration("10")).to.equal(undefined);
    expect(parseDuration("")).to.equal(undefined);
  });
});
