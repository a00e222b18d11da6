import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../../tools/cli/paths";
import { RESOURCE_DOC_PATH, renderResourceDoc } from "../../tools/docs";

describe("the Terraform resource documentation", () => {
  it("is generated from the schema and up to date (run `npm run docs` after a schema change)", () => {
    const committed = fs.readFileSync(path.join(repoRoot(), RESOURCE_DOC_PATH), "utf8");
    expect(committed).to.equal(renderResourceDoc());
  });

  it("documents every attribute of the schema", () => {
    const doc = renderResourceDoc();
    for (const name of [
      "instance_id",
      "nested_virtualization",
      "region",
      "allow_auto_scaling_group_member",
      "on_delete",
      "instance_type",
      "instance_state",
      "previous_nested_virtualization",
      "warnings",
      "last_cycle",
      "downtime_seconds",
    ]) {
      expect(doc).to.contain(`\`${name}\``);
    }
  });
});
