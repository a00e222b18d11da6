import * as path from "node:path";

/**
 * The `@grpc/grpc-js` module instance that `@pulumi/pulumi` itself loads. The provider server and the
 * generated engine client come from that copy; anything we hand to them (credentials) or patch on it
 * must be from the same copy, even where npm installed two.
 */
export function pulumiGrpc(): typeof import("@grpc/grpc-js") {
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi"));
  return require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
}
