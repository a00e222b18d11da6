import type * as protoLoader from "@grpc/proto-loader";

/** The .proto files parsed to protobuf.js JSON (field names kept as written). */
export type ProtoDefinitionsJson = Parameters<typeof protoLoader.fromJSON>[0];

/**
 * The plugin protocol's .proto definitions built into a single executable, which has no files
 * beside it. Run from the npm package the provider reads the .proto files instead (server.ts); the
 * release build (tools/build/release/bundle.ts) replaces this module with one returning those same files
 * parsed.
 */
export function embeddedProtoDefinitions(): ProtoDefinitionsJson | undefined {
  return undefined;
}
