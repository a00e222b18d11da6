import type * as pulumi from "@pulumi/pulumi";

type Handlers = typeof import("./handlers");

/**
 * Pulumi serializes this object into every resource's state. Each method only `require`s the
 * handlers by package name ("nestedvirt/dynamic" is ./handlers in package.json "exports"), so the
 * serialized text is a few lines instead of our whole engine.
 */
export const nestedVirtProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => (require("nestedvirt/dynamic") as Handlers).check(olds, news),
  diff: (id, olds, news) => (require("nestedvirt/dynamic") as Handlers).diff(id, olds, news),
  create: (inputs) => (require("nestedvirt/dynamic") as Handlers).create(inputs),
  read: (id, props) => (require("nestedvirt/dynamic") as Handlers).read(id, props ?? {}),
  update: (id, olds, news) => (require("nestedvirt/dynamic") as Handlers).update(id, olds, news),
  delete: (id, props) => (require("nestedvirt/dynamic") as Handlers).remove(id, props),
};
