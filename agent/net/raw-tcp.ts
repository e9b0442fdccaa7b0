// Node's libuv TCP handles, used directly, for the TCP health checks (the userspace dataplane's
// relay, once on these too, is now C: native/relay.c). A `net.Socket` is a Duplex stream with its
// own state machines, async ids and event emitters around one of these handles; for a check that
// connects, writes one request and reads one answer, that layer was most of the CPU
// (bench/checks/README.md carries the profiles). Here the handle's callbacks are plain functions and reads land in a caller's buffer.
//
// The bindings are `process.binding('tcp_wrap')` and `('stream_wrap')`: the same objects `net` is
// built on, on Node's compatibility list for process.binding. They are not a documented API, so
// their shape is checked once when this module loads; a Node that changed them gets a clear error
// at agent start (and in this module's test) instead of a misbehaving dataplane.
import { isIPv4, isIPv6 } from 'node:net';
import { lookup } from 'node:dns';
import { getSystemErrorMap } from 'node:util';
import { constants as osConstants } from 'node:os';

/** Return value of a write: done at once, or pending until its callback (a negative number is an errno). */
export const WRITE_DONE = 0;
export const WRITE_PENDING = 1;

/** One TCP handle (a socket or a listening socket). Callers may hang their own state off `owner`. */
export interface TcpHandle {
  owner: unknown;
  /**
   * Called for each read: the byte count (or UV_EOF / a negative errno) is `readResult()`, the bytes
   * are at the start of the buffer given to `useUserBuffer`.
   */
  onread: ((this: TcpHandle) => void) | null;
  /** Listening sockets: a new connection (status 0 and the accepted handle) or an accept error. */
  onconnection: ((this: TcpHandle, status: number, client?: TcpHandle) => void) | null;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buf: Uint8Array): void;
  setNoDelay(on: boolean): number;
  bind(address: string, port: number, flags?: number): number;
  bind6(address: string, port: number, flags: number): number;
  listen(backlog: number): number;
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  /**
   * Closes with a RST (SO_LINGER 0) instead of a FIN. Never after shutdown(): libuv refuses
   * (EINVAL) and Node then marks the handle closing without closing it, so its fd leaks.
   */
  reset(cb?: () => void): number;
  close(cb?: () => void): void;
  ref(): void;
  unref(): void;
}

interface Req {
  oncomplete: (...args: never[]) => void;
  handle?: TcpHandle;
  [k: string]: unknown;
}
interface RawHandle extends TcpHandle {
  connect(req: Req, address: string, port: number): number;
  connect6(req: Req, address: string, port: number): number;
  writeBuffer(req: Req, buf: Uint8Array): number;
  shutdown(req: Req): number;
}
interface TcpWrapBinding {
  TCP: new (type: number) => RawHandle;
  TCPConnectWrap: new () => Req;
  constants: { SOCKET: number; SERVER: number };
}
interface StreamWrapBinding {
  WriteWrap: new () => Req;
  ShutdownWrap: new () => Req;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

/** This Node lacks the bindings (or their shape changed): the agent cannot run its fast paths. */
export class NodeBindingsError extends Error {
  override name = 'NodeBindingsError';
}

const HANDLE_METHODS = [
  'connect', 'connect6', 'bind', 'bind6', 'listen', 'writeBuffer', 'shutdown', 'readStart', 'readStop',
  'useUserBuffer', 'setNoDelay', 'reset', 'close', 'getsockname',
];

/**
 * Fetches and checks the bindings through `binding` (process.binding; tests pass a fake). Throws
 * NodeBindingsError naming what is missing.
 */
export function loadBindings(
  binding: ((name: string) => unknown) | undefined = (process as unknown as { binding?: (name: string) => unknown }).binding,
): { tcp: TcpWrapBinding; stream: StreamWrapBinding } {
  let tcp: TcpWrapBinding | undefined;
  let stream: StreamWrapBinding | undefined;
  try {
    tcp = binding?.('tcp_wrap') as TcpWrapBinding | undefined;
    stream = binding?.('stream_wrap') as StreamWrapBinding | undefined;
  } catch {
    // Reported below.
  }
  const proto = tcp?.TCP?.prototype as Record<string, unknown> | undefined;
  const missing = [
    ...(typeof tcp?.TCP === 'function' ? [] : ['tcp_wrap.TCP']),
    ...(typeof tcp?.TCPConnectWrap === 'function' ? [] : ['tcp_wrap.TCPConnectWrap']),
    ...(typeof tcp?.constants?.SERVER === 'number' ? [] : ['tcp_wrap.constants']),
    ...(typeof stream?.WriteWrap === 'function' ? [] : ['stream_wrap.WriteWrap']),
    ...(typeof stream?.ShutdownWrap === 'function' ? [] : ['stream_wrap.ShutdownWrap']),
    ...(stream?.streamBaseState instanceof Int32Array ? [] : ['stream_wrap.streamBaseState']),
    ...(typeof stream?.kReadBytesOrError === 'number' && typeof stream?.kLastWriteWasAsync === 'number'
      ? []
      : ['stream_wrap state indexes']),
    ...HANDLE_METHODS.filter((m) => typeof proto?.[m] !== 'function').map((m) => `TCP.${m}()`),
  ];
  if (missing.length > 0) {
    throw new NodeBindingsError(
      `Node ${process.version} does not offer the TCP handle bindings the agent needs ` +
        `(process.binding('tcp_wrap') / ('stream_wrap'); missing: ${missing.join(', ')}); ` +
        `run the agent on Node 20, 22 or 24, the versions it is tested on`,
    );
  }
  return { tcp: tcp!, stream: stream! };
}

const { tcp: TCP_WRAP, stream: STREAM_WRAP } = loadBindings();
const STATE = STREAM_WRAP.streamBaseState;
const READ_RESULT = STREAM_WRAP.kReadBytesOrError;
const LAST_WRITE_ASYNC = STREAM_WRAP.kLastWriteWasAsync;

/** libuv's end-of-stream code, as `readResult()` reports it. */
export const UV_EOF = -4095;

/** A socket handle, not yet connected. */
export function createSocket(): TcpHandle {
  return new TCP_WRAP.TCP(TCP_WRAP.constants.SOCKET);
}

/** A handle for `bind` + `listen`. */
export function createServer(): TcpHandle {
  return new TCP_WRAP.TCP(TCP_WRAP.constants.SERVER);
}

/** Bytes read by the current `onread` call, or UV_EOF, or a negative errno. */
export function readResult(): number {
  return STATE[READ_RESULT]!;
}

const ERRORS = getSystemErrorMap();
const UV_ENOTCONN = -osConstants.errno.ENOTCONN;
const UV_ECANCELED = -osConstants.errno.ECANCELED;

/** "ECONNREFUSED" for -111; "error -N" for a code the system does not know. */
export function errorName(code: number): string {
  return ERRORS.get(code)?.[0] ?? `error ${code}`;
}

/** "connection refused" for -111, as a sentence fragment for messages. */
export function errorMessage(code: number): string {
  return ERRORS.get(code)?.[1] ?? `error ${code}`;
}

/** An Error like the ones `net` throws ("listen EADDRINUSE: address already in use 10.0.0.1:80"). */
export function errnoError(errno: number, syscall: string, address?: string, port?: number): NodeJS.ErrnoException {
  const code = errorName(errno);
  const where = address === undefined ? '' : ` ${address}${port === undefined ? '' : `:${port}`}`;
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code}: ${errorMessage(errno)}${where}`);
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  return err;
}

/** Called once the connect finishes: status 0, or a negative errno. */
export type ConnectDone = (status: number, handle: TcpHandle) => void;

function onConnectComplete(this: Req, status: number): void {
  (this.done as ConnectDone)(status, this.handle!);
}

/**
 * Starts connecting `handle` to host:port and calls `done` once, with the status. Host names (lvs.cf
 * allows them for real servers) are looked up first; a failed lookup is reported as its errno. A
 * handle closed during the lookup gets ECANCELED: libuv would otherwise open a new socket on the
 * closing handle, an fd nothing closes. readStart() tells: a live unconnected handle answers
 * ENOTCONN, a closing one EINVAL, a closed one nothing.
 * Returns nothing: every failure, even an immediate one, arrives through `done`, on a later turn.
 */
export function connect(handle: TcpHandle, host: string, port: number, done: ConnectDone): void {
  // isIPv4 first: it is the common case and the cheaper test (isIPv6 is one very long regex).
  const v4 = isIPv4(host);
  const v6 = !v4 && isIPv6(host);
  if (!v4 && !v6) {
    lookup(host, (err, address) => {
      if (err) done(typeof err.errno === 'number' ? err.errno : -1, handle);
      else if (handle.readStart() !== UV_ENOTCONN) done(UV_ECANCELED, handle);
      else connect(handle, address, port, done);
    });
    return;
  }
  const req = new TCP_WRAP.TCPConnectWrap();
  req.oncomplete = onConnectComplete;
  req.handle = handle;
  req.done = done;
  req.address = host;
  req.port = port;
  const raw = handle as RawHandle;
  const err = v6 ? raw.connect6(req, host, port) : raw.connect(req, host, port);
  if (err !== 0) process.nextTick(done, err, handle);
}

/** Called when a write that was pending completes: status 0, or a negative errno. */
export type WriteDone = (status: number, handle: TcpHandle) => void;

function onWriteComplete(this: Req, status: number): void {
  (this.done as WriteDone)(status, this.handle!);
}

function ignoreWriteDone(): void {}

/**
 * Writes `data`. WRITE_DONE: the kernel took all of it, `done` will not be called and the buffer may
 * be reused at once. WRITE_PENDING: the rest is queued and `data` must not change until `done`
 * runs. A negative number: the errno, nothing queued.
 */
export function write(handle: TcpHandle, data: Uint8Array, done: WriteDone = ignoreWriteDone): number {
  const req = spareWriteReq;
  req.handle = handle;
  req.done = done;
  const err = (handle as RawHandle).writeBuffer(req, data);
  if (err === 0 && STATE[LAST_WRITE_ASYNC] !== 0) {
    // The request object now belongs to this write until its callback; the next write gets a new one.
    req.buffer = data; // keeps the bytes alive while libuv still points at them
    spareWriteReq = newWriteReq();
    return WRITE_PENDING;
  }
  req.handle = undefined;
  req.done = undefined;
  if (err === 0) return WRITE_DONE;
  // A write that failed may have been bound to Node's C++ side before failing: do not reuse it.
  spareWriteReq = newWriteReq();
  return err;
}

function newWriteReq(): Req {
  const req = new STREAM_WRAP.WriteWrap();
  req.oncomplete = onWriteComplete;
  req.async = false;
  req.handle = undefined;
  req.done = undefined;
  req.buffer = undefined;
  return req;
}

/**
 * The request object for the next write. Node binds a write request to its C++ side only when the
 * write has to wait; a write the kernel takes at once (nearly all of them) leaves the object
 * untouched, so one object serves them all instead of a new one per write.
 */
let spareWriteReq = newWriteReq();

/** Called once the FIN is queued after every pending write: status 0, or a negative errno. */
export type ShutdownDone = (status: number, handle: TcpHandle) => void;

function onShutdownComplete(this: Req, status: number): void {
  (this.done as ShutdownDone)(status, this.handle!);
}

/**
 * Sends a FIN once the pending writes are out (half-close); returns 0 or a negative errno. Without
 * `done` nothing is called back: Node calls a request's `oncomplete` only when it has one, and a
 * relay learns of a failed FIN from its next read or write anyway, one call into JavaScript less
 * per connection.
 */
export function shutdown(handle: TcpHandle, done?: ShutdownDone): number {
  const req = new STREAM_WRAP.ShutdownWrap();
  req.handle = handle;
  if (done !== undefined) {
    req.oncomplete = onShutdownComplete;
    req.done = done;
  }
  return (handle as RawHandle).shutdown(req);
}

/** Binds and listens; returns 0 or a negative errno (EADDRINUSE, EADDRNOTAVAIL, ...). */
export function listen(handle: TcpHandle, address: string, port: number, backlog: number): number {
  const err = isIPv6(address) ? handle.bind6(address, port, 0) : handle.bind(address, port);
  return err !== 0 ? err : handle.listen(backlog);
}

/** The local port of a bound handle (for port 0), or null. */
export function localPort(handle: TcpHandle): number | null {
  const out: { port?: number } = {};
  return handle.getsockname(out) === 0 ? out.port ?? null : null;
}
