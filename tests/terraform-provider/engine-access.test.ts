import { expect } from "chai";
import { engineAccess } from "../../provider/terraform/engine-access";
import { FAST_TRANSITIONS, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

/** The Terraform provider's way to the engine: one Session opened at ConfigureProvider (real SDK, emulator). */
describe("Terraform engine access: the session opened at ConfigureProvider", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);
  const provider = () => ({ endpoint: ctx.emulator.endpoint, region: "us-east-1" });

  it("refuses a resource call before ConfigureProvider, saying so, without calling EC2", async () => {
    const error = await rejection(engineAccess(() => undefined).engine(provider()));
    expect(error.message).to.contain("before ConfigureProvider");
    expect(ctx.emulator.calls).to.deep.equal([]);
  });

  it("serves every resource of the provider from one session: one type lookup for all of them", async () => {
    const access = engineAccess(() => undefined);
    await access.configure(provider());
    const [a, b] = [seeded(ctx.emulator).instanceId, seeded(ctx.emulator).instanceId];
    await (await access.engine(provider())).read(a);
    await (await access.engine(provider())).read(b);
    expect(ctx.emulator.callCounts().DescribeInstanceTypes).to.equal(1);
  });

  it("gives a resource's own region a session of its own, kept for the other resources of that region", async () => {
    const access = engineAccess(() => undefined);
    await access.configure(provider());
    const { instanceId } = seeded(ctx.emulator);
    const west = { ...provider(), region: "us-west-2" };
    await (await access.engine(provider())).read(instanceId);
    await (await access.engine(west)).read(instanceId);
    await (await access.engine(west)).read(instanceId);
    expect(ctx.emulator.callCounts().DescribeInstanceTypes).to.equal(2);
  });

  it("shares nothing with another provider process's session", async () => {
    const { instanceId } = seeded(ctx.emulator);
    for (const access of [engineAccess(() => undefined), engineAccess(() => undefined)]) {
      await access.configure(provider());
      await (await access.engine(provider())).read(instanceId);
    }
    expect(ctx.emulator.callCounts().DescribeInstanceTypes).to.equal(2);
  });
});
