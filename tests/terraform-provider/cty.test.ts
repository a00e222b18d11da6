import { ExtData, encode } from "@msgpack/msgpack";
import { expect } from "chai";
import {
  CtyDynamic,
  CtyError,
  type CtyObject,
  type CtyType,
  type CtyValue,
  ctyEqual,
  decodeJson,
  decodeMsgpack,
  encodeMsgpack,
  Unknown,
} from "../../provider/terraform/protocol/cty";
import { PROVIDER_VALUE_TYPE } from "../../provider/terraform/schema";
import {
  CONFIG_WITH_REFINED_UNKNOWN_INSTANCE_ID,
  CONFIG_WITH_TIMEOUTS_BLOCK,
  PLANNED_STATE_WITH_UNKNOWNS,
  PRIOR_STATE_OF_CREATE,
  PROVIDER_CONFIG,
  STATE_AFTER_CYCLE,
} from "./fixtures";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const bytes = (text: string) => Buffer.from(text, "hex");

const TIMINGS: CtyType = [
  "object",
  { stopped_at: "string", modified_at: "string", started_at: "string", downtime_seconds: "number" },
];
/** The resource's value type at schema version 1, when the Terraform 1.11 fixtures were captured. */
const CAPTURED_RESOURCE_TYPE: CtyType = [
  "object",
  {
    id: "string",
    instance_id: "string",
    nested_virtualization: "string",
    region: "string",
    allow_auto_scaling_group_member: "bool",
    on_delete: "string",
    timeouts: ["object", { stop: "string", start: "string" }],
    instance_type: "string",
    instance_state: "string",
    previous_nested_virtualization: "string",
    warnings: ["list", "string"],
    last_cycle: TIMINGS,
  },
];
const SAMPLE_TYPE: CtyType = [
  "object",
  {
    name: "string",
    on: "bool",
    count: "number",
    tags: ["list", "string"],
    timings: TIMINGS,
    block: ["object", { stop: "string", start: "string" }],
  },
];

describe("cty MessagePack codec", () => {
  describe("primitives", () => {
    it("encodes strings, bools and numbers as compact msgpack", () => {
      expect(hex(encodeMsgpack("abc", "string"))).to.equal("a3616263");
      expect(hex(encodeMsgpack(true, "bool"))).to.equal("c3");
      expect(hex(encodeMsgpack(false, "bool"))).to.equal("c2");
      expect(hex(encodeMsgpack(42, "number"))).to.equal("2a");
      expect(hex(encodeMsgpack(-1, "number"))).to.equal("ff");
      expect(hex(encodeMsgpack(1.5, "number"))).to.equal("cb3ff8000000000000");
    });

    it("round-trips every primitive, including large and fractional numbers", () => {
      for (const [value, type] of [
        ["", "string"],
        ["ünïcødé ✓", "string"],
        [true, "bool"],
        [0, "number"],
        [2 ** 40, "number"],
        [-12.25, "number"],
      ] as const) {
        expect(decodeMsgpack(encodeMsgpack(value, type), type)).to.equal(value);
      }
    });

    it("reads numbers that cty sent as decimal strings (too large or precise for int64/float64)", () => {
      expect(decodeMsgpack(encode("12345678901234567890123"), "number")).to.equal(1.2345678901234568e22);
    });

    it("rejects a value of the wrong type in either direction, naming the path", () => {
      expect(() => encodeMsgpack("1", "number")).to.throw(CtyError, /number is required/);
      expect(() => decodeMsgpack(encode(1), "string")).to.throw(CtyError, /string is required/);
      expect(() => encodeMsgpack({ name: 3 }, ["object", { name: "string" }])).to.throw(
        CtyError,
        /^name: string is required/,
      );
      expect(() => decodeMsgpack(encode(["a", 1]), ["list", "string"])).to.throw(CtyError, /\[1\]: string is required/);
    });
  });

  describe("null and unknown", () => {
    it("encodes null as msgpack nil for any type", () => {
      for (const type of ["string", "bool", "number", ["list", "string"], SAMPLE_TYPE] as CtyType[]) {
        expect(hex(encodeMsgpack(null, type))).to.equal("c0");
        expect(decodeMsgpack(bytes("c0"), type)).to.equal(null);
      }
    });

    it("encodes Unknown exactly as cty does: fixext1, extension type 0, one zero byte", () => {
      expect(hex(encodeMsgpack(Unknown, "string"))).to.equal("d40000");
      expect(hex(encodeMsgpack(Unknown, SAMPLE_TYPE))).to.equal("d40000");
    });

    it("decodes extension type 0 in any form as Unknown", () => {
      expect(decodeMsgpack(bytes("d40000"), "string")).to.equal(Unknown);
      expect(decodeMsgpack(encode(new ExtData(0, new Uint8Array(0))), "number")).to.equal(Unknown);
      expect(decodeMsgpack(bytes("d40000"), ["list", "string"])).to.equal(Unknown);
    });

    it("decodes a refined unknown (extension type 12) as Unknown, dropping the refinements", () => {
      // ext8, 7 bytes, type 12: {1: false (not null), 2: "i-" (prefix)}
      expect(decodeMsgpack(bytes("c7070c8201c202a2692d"), "string")).to.equal(Unknown);
    });

    it("keeps unknown distinct from null inside objects and lists", () => {
      const value = decodeMsgpack(encodeMsgpack({ a: Unknown, b: null }, ["object", { a: "string", b: "string" }]), [
        "object",
        { a: "string", b: "string" },
      ]);
      expect(value).to.deep.equal({ a: Unknown, b: null });
      expect(decodeMsgpack(encodeMsgpack(["x", Unknown], ["list", "string"]), ["list", "string"])).to.deep.equal([
        "x",
        Unknown,
      ]);
    });
  });

  describe("collections, objects and nested blocks", () => {
    const sample: CtyObject = {
      name: "n",
      on: true,
      count: 3,
      tags: ["a", "b"],
      timings: { stopped_at: null, modified_at: "2026-01-01T00:00:00Z", started_at: null, downtime_seconds: 0 },
      block: { stop: "5m", start: null },
    };

    it("round-trips an object with a list, a nested object and a nested block", () => {
      expect(decodeMsgpack(encodeMsgpack(sample, SAMPLE_TYPE), SAMPLE_TYPE)).to.deep.equal(sample);
    });

    it("writes object attributes in sorted order, as cty does", () => {
      const encoded = encodeMsgpack({ b: "2", a: "1" }, ["object", { b: "string", a: "string" }]);
      expect(hex(encoded)).to.equal("82a161a131a162a132");
    });

    it("writes every attribute of the type, null for the absent ones (cty rejects short objects)", () => {
      const type: CtyType = ["object", { a: "string", b: "string" }];
      expect(decodeMsgpack(encodeMsgpack({ a: "1" }, type), type)).to.deep.equal({ a: "1", b: null });
    });

    it("refuses attributes the type does not have", () => {
      expect(() => encodeMsgpack({ a: "1", z: "2" }, ["object", { a: "string" }])).to.throw(
        CtyError,
        /^z: attribute is not in the type/,
      );
      expect(() => decodeMsgpack(encode({ z: "1" }), ["object", { a: "string" }])).to.throw(
        CtyError,
        /unsupported attribute/,
      );
    });

    it("handles empty lists, sets, maps and tuples", () => {
      expect(decodeMsgpack(encodeMsgpack([], ["list", "string"]), ["list", "string"])).to.deep.equal([]);
      expect(decodeMsgpack(encodeMsgpack(["a"], ["set", "string"]), ["set", "string"])).to.deep.equal(["a"]);
      expect(decodeMsgpack(encodeMsgpack({ k: 1 }, ["map", "number"]), ["map", "number"])).to.deep.equal({ k: 1 });
      expect(
        decodeMsgpack(encodeMsgpack(["a", 1], ["tuple", ["string", "number"]]), ["tuple", ["string", "number"]]),
      ).to.deep.equal(["a", 1]);
    });
  });

  describe("dynamic values", () => {
    it("encodes a dynamic value as [type JSON, value]", () => {
      const encoded = encodeMsgpack(new CtyDynamic("string", "x"), "dynamic");
      // fixarray 2, bin8 of '"string"', fixstr "x"
      expect(hex(encoded)).to.equal(`92c408${Buffer.from('"string"').toString("hex")}a178`);
    });

    it("round-trips dynamic values of structured types, and null/unknown dynamics", () => {
      const type: CtyType = ["object", { a: ["list", "number"] }];
      const decoded = decodeMsgpack(encodeMsgpack(new CtyDynamic(type, { a: [1, 2] }), "dynamic"), "dynamic");
      expect(decoded).to.be.instanceOf(CtyDynamic);
      expect((decoded as CtyDynamic).type).to.deep.equal(type);
      expect((decoded as CtyDynamic).value).to.deep.equal({ a: [1, 2] });
      expect(decodeMsgpack(encodeMsgpack(null, "dynamic"), "dynamic")).to.equal(null);
      expect(decodeMsgpack(encodeMsgpack(Unknown, "dynamic"), "dynamic")).to.equal(Unknown);
    });

    it("also reads the type JSON when it arrives as a string", () => {
      const decoded = decodeMsgpack(encode(['"bool"', true]), "dynamic") as CtyDynamic;
      expect(decoded.type).to.equal("bool");
      expect(decoded.value).to.equal(true);
    });
  });

  describe("JSON (stored state)", () => {
    it("reads state JSON by type, dropping attributes the type lacks and nulling missing ones", () => {
      const value = decodeJson(JSON.stringify({ name: "n", count: 2, gone: "x" }), [
        "object",
        { name: "string", count: "number", on: "bool" },
      ]);
      expect(value).to.deep.equal({ name: "n", count: 2, on: null });
    });

    it("reads dynamic JSON values in their {value, type} form", () => {
      const value = decodeJson(JSON.stringify({ value: ["a"], type: ["list", "string"] }), "dynamic") as CtyDynamic;
      expect(value.value).to.deep.equal(["a"]);
    });
  });

  describe("equality", () => {
    it("compares structurally; unknown equals only unknown", () => {
      expect(ctyEqual({ a: ["x"], b: null }, { a: ["x"], b: null })).to.equal(true);
      expect(ctyEqual({ a: ["x"] }, { a: ["y"] })).to.equal(false);
      expect(ctyEqual(Unknown, Unknown)).to.equal(true);
      expect(ctyEqual(Unknown, null)).to.equal(false);
      expect(ctyEqual("1", 1 as CtyValue)).to.equal(false);
    });
  });

  describe("values produced by Terraform 1.11", () => {
    it("decodes a config whose instance_id is a refined unknown", () => {
      const config = decodeMsgpack(bytes(CONFIG_WITH_REFINED_UNKNOWN_INSTANCE_ID), CAPTURED_RESOURCE_TYPE) as CtyObject;
      expect(config.instance_id).to.equal(Unknown);
      expect(config.allow_auto_scaling_group_member).to.equal(true);
      expect(config.timeouts).to.equal(null);
      expect(config.id).to.equal(null);
    });

    it("decodes a config with a timeouts block", () => {
      const config = decodeMsgpack(bytes(CONFIG_WITH_TIMEOUTS_BLOCK), CAPTURED_RESOURCE_TYPE) as CtyObject;
      expect(config.timeouts).to.deep.equal({ start: "2m", stop: null });
      expect(config.region).to.equal("eu-west-1");
      expect(config.instance_id).to.equal("i-0bbbbbbbbbbbbbbbb");
    });

    it("decodes a planned state with unknown computed attributes and re-encodes it byte for byte", () => {
      const planned = decodeMsgpack(bytes(PLANNED_STATE_WITH_UNKNOWNS), CAPTURED_RESOURCE_TYPE) as CtyObject;
      expect(planned.instance_state).to.equal(Unknown);
      expect(planned.last_cycle).to.equal(Unknown);
      expect(planned.warnings).to.equal(Unknown);
      expect(planned.nested_virtualization).to.equal("enabled");
      expect(hex(encodeMsgpack(planned, CAPTURED_RESOURCE_TYPE))).to.equal(PLANNED_STATE_WITH_UNKNOWNS);
    });

    it("decodes stored state with a number, an object and a list, and re-encodes it byte for byte", () => {
      const state = decodeMsgpack(bytes(STATE_AFTER_CYCLE), CAPTURED_RESOURCE_TYPE) as CtyObject;
      expect(state.last_cycle).to.deep.equal({
        downtime_seconds: 42,
        modified_at: "2026-01-01T00:00:00.000Z",
        started_at: "2026-01-01T00:00:00.000Z",
        stopped_at: "2026-01-01T00:00:00.000Z",
      });
      expect(state.warnings).to.deep.equal(["Instance i-0123456789abcdef0 will get a new public IPv4 address."]);
      expect(hex(encodeMsgpack(state, CAPTURED_RESOURCE_TYPE))).to.equal(STATE_AFTER_CYCLE);
    });

    it("decodes the provider config and the null prior state of a create", () => {
      expect(decodeMsgpack(bytes(PROVIDER_CONFIG), PROVIDER_VALUE_TYPE)).to.deep.equal({
        endpoint: null,
        profile: null,
        region: "us-east-1",
      });
      expect(decodeMsgpack(bytes(PRIOR_STATE_OF_CREATE), CAPTURED_RESOURCE_TYPE)).to.equal(null);
    });
  });
});
