import * as protoLoader from "@grpc/proto-loader";
import { expect } from "chai";
import { createProvider } from "../../provider/terraform/provider";
import { LOADER_OPTIONS, loadServices } from "../../provider/terraform/server";
import { protoDefinitions } from "../../tools/build/release/bundle";

/** The single executable has no .proto files; what it embeds must speak exactly the same protocol. */
describe("the .proto definitions embedded in the release executable", () => {
  const fromFiles = loadServices();
  const embedded = protoLoader.fromJSON(protoDefinitions(), LOADER_OPTIONS);

  it("define the same services, methods and messages as the .proto files", () => {
    expect(Object.keys(embedded).sort()).to.deep.equal(Object.keys(fromFiles).sort());
    const provider = embedded["tfplugin6.Provider"] as protoLoader.ServiceDefinition;
    expect(Object.keys(provider).sort()).to.deep.equal(
      Object.keys(fromFiles["tfplugin6.Provider"] as protoLoader.ServiceDefinition).sort(),
    );
  });

  it("encode the provider's schema (maps, nested blocks) byte for byte as the .proto files do", async () => {
    const access = {
      configure: async () => undefined,
      engine: () => Promise.reject(new Error("no engine needed")),
      region: async () => undefined,
    };
    const schema = await createProvider({ access, log: () => undefined }).GetProviderSchema({});
    const method = (definition: protoLoader.PackageDefinition) =>
      (definition["tfplugin6.Provider"] as protoLoader.ServiceDefinition).GetProviderSchema;
    const bytes = method(fromFiles).responseSerialize(schema);
    expect(method(embedded).responseSerialize(schema).equals(bytes)).to.equal(true);
    expect(method(embedded).responseDeserialize(bytes)).to.deep.equal(method(fromFiles).responseDeserialize(bytes));
  });

  it("decode every request of every service to the same defaults", () => {
    for (const [name, service] of Object.entries(fromFiles)) {
      if ("format" in service) continue;
      for (const [method, definition] of Object.entries(service as protoLoader.ServiceDefinition)) {
        const other = (embedded[name] as protoLoader.ServiceDefinition)[method];
        expect(other.requestDeserialize(Buffer.alloc(0)), `${name}.${method}`).to.deep.equal(
          definition.requestDeserialize(Buffer.alloc(0)),
        );
      }
    }
  });
});
