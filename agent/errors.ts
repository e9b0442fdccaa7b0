// The agent core's own failures, named by what went wrong rather than by how a transport reports
// them: the socket's handlers (rpc-handlers.ts) turn them into protocol error codes, main.ts into
// an exit status. The core never throws the transport's RpcError.

/** The agent must not start (invalid lvs.cf, dataplane unusable, redundancy cannot start). */
export class StartupError extends Error {}

/** lvs.cf does not validate (or cannot be read); the message is the library's positioned errors. */
export class ConfigInvalidError extends Error {}

/** A virtual or real server named in a request does not exist in the configuration in use. */
export class NotFoundError extends Error {}

/** Rejoining the router pair failed (the heartbeat could not be bound, the key is unreadable). */
export class PairError extends Error {}

/** A plan's change is based on a version of lvs.cf the agent does not have (neither in use nor on disk). */
export class StaleBaseError extends Error {}

/** A plan's change does not fit the text it claims to change (hunks out of order, outside it, not matching). */
export class BadChangeError extends Error {}
