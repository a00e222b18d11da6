/**
 * Loaded by mocha before any test: the AWS SDK's standard chain finds fake credentials and a
 * region here, exactly as it would find real ones, and never looks for instance metadata.
 */
process.env.AWS_ACCESS_KEY_ID = "AKIDEMULATOR";
process.env.AWS_SECRET_ACCESS_KEY = "emulator-secret";
process.env.AWS_REGION = "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.NESTEDVIRT_POLL_INTERVAL_MS = "20";
// Node 20 is what this machine has; the SDK's notice about its 2027 releases would fill every log.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
delete process.env.AWS_PROFILE;
delete process.env.AWS_ENDPOINT_URL;
delete process.env.AWS_ENDPOINT_URL_EC2;
delete process.env.AWS_ENDPOINT_URL_AUTO_SCALING;
