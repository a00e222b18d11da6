import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import {
  ALL_EC2_ACTIONS,
  ATTRIBUTES,
  AUTO_SCALING_ACTIONS,
  iamPolicy,
  SSM_ACTIONS,
} from "../../provider/engine/schema";
import { repoRoot } from "../../tools/cli/paths";
import { GENERATED_FILES, renderDocs, renderResourceDoc } from "../../tools/docs";

describe("the generated documentation", () => {
  const root = repoRoot();
  const rendered = renderDocs(root);

  for (const file of GENERATED_FILES) {
    it(`${file} is up to date with the schema (run \`npm run docs\` after a schema change)`, () => {
      expect(fs.readFileSync(path.join(root, file), "utf8")).to.equal(rendered.get(file));
    });
  }

  it("documents every attribute of the schema for Terraform", () => {
    const doc = renderResourceDoc();
    for (const { tfName } of ATTRIBUTES) expect(doc).to.contain(`\`${tfName}\``);
    expect(doc).to.contain("`downtime_seconds`");
  });

  it("documents every attribute of the schema for Pulumi in the README", () => {
    const readme = rendered.get("README.md") ?? "";
    for (const { name } of ATTRIBUTES) expect(readme).to.contain(`| \`${name}\` |`);
  });

  it("shows the same IAM policy in the README and the provider docs, with every EC2 action", () => {
    const policyOf = (text: string) => /<!-- generated:iam-policy -->\n```json\n([\s\S]*?)\n```/.exec(text)?.[1];
    const readme = policyOf(rendered.get("README.md") ?? "");
    expect(readme).to.be.a("string");
    expect(policyOf(rendered.get(path.join("docs", "index.md")) ?? "")).to.equal(readme);
    for (const action of ALL_EC2_ACTIONS) expect(readme).to.contain(`"ec2:${action}"`);
  });

  it("lists in the IAM policy every EC2 and Auto Scaling command the engine sends", () => {
    const engineDir = path.join(root, "provider", "engine");
    const sent = new Set<string>();
    for (const file of fs
      .readdirSync(engineDir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))) {
      const source = fs.readFileSync(path.join(engineDir, file), "utf8");
      for (const match of source.matchAll(/new (\w+)Command\(/g)) sent.add(match[1]);
    }
    expect(sent.size).to.be.greaterThan(0);
    const listed: readonly string[] = [
      ...ALL_EC2_ACTIONS,
      ...Object.values(AUTO_SCALING_ACTIONS).flat(),
      ...SSM_ACTIONS,
    ];
    expect([...sent].filter((action) => !listed.includes(action))).to.deep.equal([]);
    expect(listed.filter((action) => !sent.has(action))).to.deep.equal([]);
    const policy = JSON.stringify(iamPolicy());
    expect(SSM_ACTIONS.filter((action) => !policy.includes(`"ssm:${action}"`))).to.deep.equal([]);
  });
});
