/**
 * Imported first by the CLI, before anything loads the AWS SDK: the SDK's nine-line NodeVersionSupportWarning
 * (printed on Node < 22 when the first client is built) would bury the CLI's own one-line messages on stderr, and
 * lamina supports Node 20. The SDK skips it when AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED is "true"
 * (@aws-sdk/core, emitWarningIfUnsupportedVersion); a value the user set is left alone.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
