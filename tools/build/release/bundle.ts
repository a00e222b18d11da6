import * as path from "node:path";
import * as esbuild from "esbuild";
import * as protobuf from "protobufjs";
import type { ProtoDefinitionsJson } from "../../../provider/terraform/protocol/embedded-protos";
import { PROTO_DIR, PROTO_FILES } from "../../../provider/terraform/server";
import { repoRoot } from "../../cli/paths";

/**
 * The provider as one CommonJS file for a Node.js single executable application, where `require`
 * reaches built-in modules only. The .proto files the provider reads at run time are compiled in,
 * parsed (see provider/terraform/protocol/embedded-protos.ts).
 */
export async function bundleProvider(): Promise<string> {
  const definitions = JSON.stringify(protoDefinitions());
  const result = await esbuild.build({
    entryPoints: [path.join(repoRoot(), "provider", "terraform", "main.ts")],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // Smaller text parses faster at every start; identifiers stay readable in stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    write: false,
    logLevel: "error",
    plugins: [
      {
        name: "embed-protos",
        setup(build) {
          build.onLoad({ filter: /[\\/]provider[\\/]terraform[\\/]protocol[\\/]embedded-protos\.ts$/ }, () => ({
            loader: "js",
            contents: `export function embeddedProtoDefinitions() {\n  return ${definitions};\n}\n`,
          }));
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

/**
 * The provider's .proto files parsed as protobuf.js JSON, field names kept as written, which
 * @grpc/proto-loader's fromJSON turns into the same services as loading the files. (A
 * FileDescriptorSet would not do: protobuf.js reads its map fields back as repeated messages.)
 */
export function protoDefinitions(): ProtoDefinitionsJson {
  const root = new protobuf.Root().loadSync(
    PROTO_FILES.map((file) => path.join(PROTO_DIR, file)),
    { keepCase: true },
  );
  return JSON.parse(JSON.stringify(root.toJSON())) as ProtoDefinitionsJson;
}
