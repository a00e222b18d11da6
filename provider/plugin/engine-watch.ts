import { pulumiGrpc } from "./pulumi-grpc";

/**
 * Calls `onGone` once the Pulumi engine's gRPC server, whose address the plugin is started with,
 * stops accepting connections after it had accepted one: the engine is gone even where this
 * process was not re-parented (a wrapper between the CLI and the plugin outlived it). The plugin
 * then ends new work as it does when its parent vanishes. A connection that merely idles out is
 * made again; only a refused reconnection counts.
 */
export function watchEngine(address: string, onGone: () => void): () => void {
  const grpc = pulumiGrpc();
  const { READY, TRANSIENT_FAILURE, SHUTDOWN } = grpc.connectivityState;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const channel = client.getChannel();
  let connected = false;
  let done = false;
  const finish = () => {
    done = true;
    client.close();
  };
  const watch = () => {
    if (done) return;
    const state = channel.getConnectivityState(true);
    if (state === READY) connected = true;
    if (state === SHUTDOWN) return;
    if (connected && state === TRANSIENT_FAILURE) {
      finish();
      onGone();
      return;
    }
    // Re-armed at least every minute, so the watch never waits on a state that has become stale.
    channel.watchConnectivityState(state, Date.now() + 60_000, watch);
  };
  watch();
  return finish;
}
