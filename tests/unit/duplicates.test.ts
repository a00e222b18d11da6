import { expect } from "chai";
import { Declarations, DuplicateDeclarationError } from "../../provider/engine/duplicates";

const PROGRAM = { resourceType: "NestedVirtEnablement", scope: "program" };
const CONFIGURATION = { resourceType: "nestedvirt_enablement", scope: "configuration", note: "Shown on each." };

describe("one instance declared by two resources of one run (the engine's one rule)", () => {
  it("lets the first declaration through and fails the second, naming both resources", async () => {
    const declarations = new Declarations(PROGRAM);
    expect(await declarations.declare({ region: "us-east-1", instanceId: "i-0123abcd", resourceName: "kvm-1" })).to.be
      .undefined;
    const duplicate = await declarations.declare({
      region: "us-east-1",
      instanceId: "i-0123abcd",
      resourceName: "kvm-0",
    });
    expect(duplicate).to.be.instanceOf(DuplicateDeclarationError);
    expect(duplicate?.code).to.equal("DuplicateDeclaration");
    expect(duplicate?.instanceId).to.equal("i-0123abcd");
    expect(duplicate?.resourceNames).to.deep.equal(["kvm-0", "kvm-1"]);
    expect(duplicate?.message).to.equal(
      'Instance i-0123abcd is declared by two NestedVirtEnablement resources in this program, "kvm-0" and "kvm-1". Each instance must be managed by exactly one resource (two would stop it twice, or fight over the setting): remove all but one.',
    );
  });

  it("a resource checked again is no duplicate, nor is the same instance ID in another region", async () => {
    const declarations = new Declarations(PROGRAM);
    const kvm = { region: "us-east-1", instanceId: "i-0123abcd", resourceName: "kvm" };
    expect(await declarations.declare(kvm)).to.be.undefined;
    expect(await declarations.declare(kvm)).to.be.undefined;
    expect(await declarations.declare({ ...kvm, region: "eu-west-1", resourceName: "other" })).to.be.undefined;
  });

  it("unnamed declarations (Terraform plans) wait for a twin, so both get the error without names", async () => {
    const declarations = new Declarations(CONFIGURATION);
    const plan = { region: "us-east-1", instanceId: "i-0123abcd" };
    const first = declarations.declare(plan, 50);
    const second = declarations.declare(plan, 50);
    const [a, b] = await Promise.all([first, second]);
    for (const duplicate of [a, b]) {
      expect(duplicate?.resourceNames).to.deep.equal([]);
      expect(duplicate?.message).to.equal(
        "Instance i-0123abcd is declared by more than one nestedvirt_enablement resource in this configuration. Shown on each. Each instance must be managed by exactly one resource (two would stop it twice, or fight over the setting): remove all but one.",
      );
    }
    expect(await new Declarations(CONFIGURATION).declare(plan, 10)).to.be.undefined;
  });

  it("a twin recorded while the first is still being looked at is found when the first asks for its verdict", async () => {
    const declarations = new Declarations(CONFIGURATION);
    const plan = { region: "us-east-1", instanceId: "i-0123abcd" };
    const first = declarations.record(plan);
    await new Promise((resolve) => setTimeout(resolve, 30)); // the first plan's inspection
    const second = declarations.record(plan);
    expect((await declarations.verdict(first, 50))?.code).to.equal("DuplicateDeclaration");
    expect((await declarations.verdict(second, 50))?.code).to.equal("DuplicateDeclaration");
  });
});
