import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { type EmulatorHarness, expectEc2Error, useEmulator } from "./helpers";

async function describedTags(h: EmulatorHarness, id: string): Promise<Record<string, string>> {
  const out = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const tags = out.Reservations?.[0]?.Instances?.[0]?.Tags ?? [];
  return Object.fromEntries(tags.map((t) => [t.Key ?? "", t.Value ?? ""]));
}

describe("emulator: CreateTags / DeleteTags", () => {
  const h = useEmulator();

  it("creates and overwrites tags on several instances", async () => {
    const a = h.emulator.addInstance({ tags: { env: "dev" } });
    const b = h.emulator.addInstance({});
    await h.client.send(
      new CreateTagsCommand({
        Resources: [a, b],
        Tags: [
          { Key: "env", Value: "prod" },
          { Key: "empty", Value: "" },
          { Key: "spaces & <xml>", Value: "a=b&c" },
        ],
      }),
    );
    const expected = { env: "prod", empty: "", "spaces & <xml>": "a=b&c" };
    expect(await describedTags(h, a)).to.deep.equal(expected);
    expect(await describedTags(h, b)).to.deep.equal(expected);
  });

  it("deletes by key, by matching value only, and all tags when none are given", async () => {
    const id = h.emulator.addInstance({ tags: { a: "1", b: "2", c: "3", d: "4" } });
    await h.client.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "a" }] }));
    await h.client.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "b", Value: "wrong" }] }));
    await h.client.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "c", Value: "3" }] }));
    expect(await describedTags(h, id)).to.deep.equal({ b: "2", d: "4" });
    await h.client.send(new DeleteTagsCommand({ Resources: [id] }));
    expect(await describedTags(h, id)).to.deep.equal({});
  });

  it("rejects unknown, malformed and non-instance resource ids", async () => {
    const tags = [{ Key: "k", Value: "v" }];
    await expectEc2Error(
      h.client.send(new CreateTagsCommand({ Resources: ["i-0123456789abcdef0"], Tags: tags })),
      "InvalidInstanceID.NotFound",
    );
    await expectEc2Error(
      h.client.send(new CreateTagsCommand({ Resources: ["i-zz"], Tags: tags })),
      "InvalidInstanceID.Malformed",
    );
    await expectEc2Error(h.client.send(new CreateTagsCommand({ Resources: ["vol-123"], Tags: tags })), "InvalidID");
  });

  it("rejects reserved aws: keys", async () => {
    const id = h.emulator.addInstance({});
    await expectEc2Error(
      h.client.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "aws:foo", Value: "x" }] })),
      "InvalidParameterValue",
      /reserved/,
    );
  });

  it("reflects programmatic setTag/removeTag", async () => {
    const id = h.emulator.addInstance({});
    h.emulator.setTag(id, "owner", "me");
    expect(await describedTags(h, id)).to.deep.equal({ owner: "me" });
    h.emulator.removeTag(id, "owner");
    expect(await describedTags(h, id)).to.deep.equal({});
  });
});
