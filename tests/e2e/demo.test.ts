import * as path from "node:path";
import { expect } from "chai";
import { repoRoot } from "../../tools/cli/paths";
import { runCommand } from "../../tools/cli/run";

/** The README's first command runs this: the quickstart with the real Pulumi CLI and the emulator. */
describe("the quickstart demo (npm run demo)", function () {
  this.timeout(30 * 60 * 1000);

  it("previews, enables the instance, shows the outputs, destroys, and says what happened", async () => {
    const root = repoRoot();
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.AWS_ENDPOINT_URL_EC2;
    const result = await runCommand(process.execPath, [path.join(root, "dist", "tools", "demo.js")], {
      cwd: root,
      env,
    });
    expect(result.code, result.stdout + result.stderr).to.equal(0);
    expect(result.stdout).to.contain("The preview read the instance and changed nothing (0 mutating EC2 calls)");
    expect(result.stdout).to.contain(
      "changed i-0c0ffee0c0ffee000 from nested virtualization disabled to enabled; EC2 saw CreateTags → StopInstances → ModifyInstanceCpuOptions → StartInstances → DeleteTags",
    );
    expect(result.stdout).to.match(/It was unavailable for [\d.]+ s and is running again/);
    expect(result.stdout).to.contain("pulumi destroy made no EC2 change");
  });
});
