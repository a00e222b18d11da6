import * as pulumi from "@pulumi/pulumi";
import { NestedVirtEnablement } from "nestedvirt";
// The generated TypeScript SDK (sdk/nodejs), copied next to this program by the test.
import * as nestedvirt from "./nestedvirt-sdk";

// Plugin resources for `pluginInstanceIds`, dynamic ones for `dynamicInstanceIds`: one program, one engine.
const config = new pulumi.Config();
const providerRegion = config.get("providerRegion");
const provider = providerRegion ? new nestedvirt.Provider("explicit", { region: providerRegion }) : undefined;
const timeouts = { stop: "2m", start: "2m" };
const autoScaling = config.get("autoScaling") as nestedvirt.AutoScaling | undefined;
// Optional: the plugin resources as one rollout group.
const rolloutGroup = config.get("rolloutGroup");
const maxUnavailable = config.getNumber("maxUnavailable");

const plugin = (config.getObject<string[]>("pluginInstanceIds") ?? []).map(
  (instanceId, index) =>
    new nestedvirt.Enablement(
      `plugin-${index}`,
      { instanceId, timeouts, autoScaling, ...(rolloutGroup ? { rolloutGroup, maxUnavailable } : {}) },
      { provider },
    ),
);
const dynamic = (config.getObject<string[]>("dynamicInstanceIds") ?? []).map(
  (instanceId, index) => new NestedVirtEnablement(`dynamic-${index}`, { instanceId, timeouts }),
);

const summary = (r: {
  instanceId: pulumi.Output<string>;
  nestedVirtualization: pulumi.Output<string>;
  instanceState: pulumi.Output<string>;
  previousNestedVirtualization: pulumi.Output<string>;
  warnings: pulumi.Output<string[]>;
}) =>
  pulumi
    .all([r.instanceId, r.nestedVirtualization, r.instanceState, r.previousNestedVirtualization, r.warnings])
    .apply(([instanceId, nestedVirtualization, instanceState, previousNestedVirtualization, warnings]) => ({
      instanceId,
      nestedVirtualization,
      instanceState,
      previousNestedVirtualization,
      warnings,
    }));
export const pluginResults = plugin.map(summary);
export const dynamicResults = dynamic.map(summary);
