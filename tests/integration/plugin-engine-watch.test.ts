import { expect } from "chai";
import { watchEngine } from "../../provider/plugin/engine-watch";
import { pulumiGrpc } from "../../provider/plugin/pulumi-grpc";

/** A gRPC server standing in for the Pulumi engine's (the watch needs only its connection). */
async function engineServer(): Promise<{ address: string; close(): void }> {
  const grpc = pulumiGrpc();
  const server = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the plugin watching the Pulumi engine's connection", () => {
  it("says nothing while the engine serves, and tells once its connection closes for good", async () => {
    const engine = await engineServer();
    let gone = 0;
    const stop = watchEngine(engine.address, () => gone++);
    try {
      await pause(1000);
      expect(gone, "engine still serving").to.equal(0);
      engine.close();
      const deadline = Date.now() + 10_000;
      while (gone === 0 && Date.now() < deadline) await pause(25);
      expect(gone).to.equal(1);
      await pause(500);
      expect(gone).to.equal(1);
    } finally {
      stop();
      engine.close();
    }
  });

  it("an engine that never answered (wrong address at start) is no reason to stop", async () => {
    const engine = await engineServer();
    engine.close();
    let gone = 0;
    const stop = watchEngine(engine.address, () => gone++);
    await pause(1500);
    stop();
    expect(gone).to.equal(0);
  });
});
