// The upstream client's public face: the pool the gateway calls and the failure causes it reports.
export { UpstreamPool, type UpstreamPoolOptions } from './UpstreamPool';
export type { CallHandlers, UpstreamAnswer, UpstreamCall } from './UpstreamCall';
export { FAILURE_CAUSES, UpstreamError, causeCode, causeText, type FailureCause } from './causes';
