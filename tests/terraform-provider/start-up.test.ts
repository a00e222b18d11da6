import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { expect } from "chai";

/**
 * Terraform starts the provider several times per command, and `terraform validate` needs no EC2:
 * the provider's modules, the resource service's among them, must load without the AWS SDK.
 */
describe("the Terraform provider's start-up", () => {
  it("loads its modules, the resource service's too, without loading the AWS SDK", () => {
    const serve = path.join(__dirname, "..", "..", "provider", "terraform", "serve.js");
    const script = `require(${JSON.stringify(serve)});
      const loaded = Object.keys(require.cache);
      console.log(JSON.stringify({
        sdk: loaded.filter((m) => m.includes("@aws-sdk")).length,
        service: loaded.filter((m) => m.includes("provider/service/")).map((m) => path.basename(m)).sort(),
      }));`;
    const output = execFileSync(process.execPath, ["-e", `const path = require("node:path"); ${script}`], {
      encoding: "utf8",
    });
    const loaded = JSON.parse(output) as { sdk: number; service: string[] };
    expect(loaded.service).to.include("resource-service.js");
    expect(loaded.sdk).to.equal(0);
  });
});
