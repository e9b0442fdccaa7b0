// The agent's control protocol over its unix socket, in one place: the frame (envelope.ts), every
// method's params and result (methods.ts, results.ts, listing.ts, ha.ts, observe.ts) and the events (events.ts), each a zod
// schema with its type inferred. Shared by the agent (server side) and its clients (the console,
// tests); it imports nothing of the agent's internals. Documented in docs/agent-protocol.md.
export * from './envelope.ts';
export * from './results.ts';
export * from './ha.ts';
export * from './kernel.ts';
export * from './events.ts';
export * from './methods.ts';
export * from './observe.ts';
export * from './listing.ts';
