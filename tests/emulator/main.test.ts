import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import "./helpers"; // silences the SDK's Node-version warning

const MAIN = path.join(__dirname, "..", "..", "emulator", "main.js");

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (pattern.test(output)) resolve(output);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before printing; output: ${output}`)));
  });
}

describe("emulator: stand-alone main", () => {
  it("starts on --port 0, prints the endpoint and demo table, writes the endpoint file, exits on SIGTERM", async function () {
    this.timeout(15_000);
    const dir = mkdtempSync(path.join(tmpdir(), "ec2-emulator-"));
    const endpointFile = path.join(dir, "endpoint");
    const child = spawn(process.execPath, [MAIN, "--port", "0", "--endpoint-file", endpointFile], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = waitForExit(child);
    try {
      const output = await waitForOutput(child, /i-0c0ffee0c0ffee002.*\n/);
      const match = /^EC2 emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output);
      expect(match, output).to.not.equal(null);
      const endpoint = match?.[1] ?? "";
      expect(output).to.match(/i-0c0ffee0c0ffee000\s+m8i\.large\s+running\s+nested=disabled\s+\d+\.\d+\.\d+\.\d+/);
      expect(output).to.match(/i-0c0ffee0c0ffee001\s+c8i\.xlarge\s+stopped/);
      expect(output).to.match(/i-0c0ffee0c0ffee002\s+m6i\.large\s+running/);
      expect(readFileSync(endpointFile, "utf8").trim()).to.equal(endpoint);

      const client = new EC2Client({
        endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      const out = await client.send(new DescribeInstancesCommand({}));
      client.destroy();
      const ids = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
      expect(ids).to.deep.equal(["i-0c0ffee0c0ffee000", "i-0c0ffee0c0ffee001", "i-0c0ffee0c0ffee002"]);

      child.kill("SIGTERM");
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects unknown arguments", async () => {
    const child = spawn(process.execPath, [MAIN, "--bogus"], { stdio: "ignore" });
    expect(await waitForExit(child)).to.equal(1);
  });
});
