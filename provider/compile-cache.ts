import * as nodeModule from "node:module";

/**
 * Imported first by each executable entry point (the command line, the Terraform provider, the
 * Pulumi plugin), for its side effect: V8's code cache for every module loaded after it, kept by
 * Node in the OS temp directory. Compiling the AWS SDK's EC2 client dominates a cold start (about
 * 2 s on a busy 2-core machine); from the second run on it loads from the cache in a fraction of
 * that. Node 22.1+ has the API; `NODE_DISABLE_COMPILE_CACHE=1` turns it off.
 */
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
