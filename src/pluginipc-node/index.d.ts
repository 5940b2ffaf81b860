/// <reference types="node" />
// Type declarations of the pluginipc npm package: a PluginIpc plugin in Node.js (docs/PROTOCOL.md of the repository).

import { EventEmitter } from 'events';
import { Readable, Writable, Duplex } from 'stream';

/** What a handler or a call may pass as a buffer: bytes, or text sent as UTF-8. */
export type BufferLike = Buffer | Uint8Array | ArrayBuffer | string;

/** What a request handler may answer: bytes, text (sent as UTF-8), or nothing (an empty answer). */
export type Answer = BufferLike | null | undefined | void;

/** A chunk on the wire (protocol section 1). */
export interface Chunk {
  threadId: bigint;
  direction: 0 | 1 | 2 | 3 | 4;
  cmd: string;
  buffer: Buffer;
  headers?: Record<string, string>;
}

export declare const Direction: Readonly<{ Noop: 0; OneWay: 1; Request: 2; Response: 3; Cancel: 4 }>;

/** What a handler learns about the message it handles. */
export interface HandlerContext {
  cmd: string;
  threadId: bigint;
  headers: Record<string, string>;
  /** True for a one-way message (its answer is ignored). */
  oneWay: boolean;
  /** Fires when the host cancels the request, or the connection closes. */
  signal: AbortSignal;
  channel: Channel;
}

export type Handler = (buffer: Buffer, context: HandlerContext) => Answer | Promise<Answer>;

export interface CallOptions {
  /** How long to wait for the answer; Infinity waits for ever. Defaults to the Main's callTimeoutMs (30 s). */
  timeoutMs?: number;
  /** Aborting it cancels the call: the caller stops waiting and a Cancel goes to the other side. */
  signal?: AbortSignal;
  /** Headers (carried by the msgpack framing only). */
  headers?: Record<string, string>;
}

export interface MainOptions {
  /** The plugin's name, announced in the handshake. Defaults to the main script's file name. */
  name?: string;
  /** The cookie the host must pass in PLUGINIPC_COOKIE. Defaults to pluginipc-v1. */
  cookie?: string;
  /** More handshake metadata, such as version. */
  metadata?: Record<string, string>;
  /** The format of typed calls, contracts, the bus and the configuration store. Defaults to msgpack. */
  serializer?: 'msgpack' | 'json';
  /** How long in-flight requests may run after a stop request; the stop hooks get as long again. Defaults to 3000. */
  stopGracePeriodMs?: number;
  /** How often the plugin pings its host (Infinity: never). Defaults to 5000. */
  hostPingIntervalMs?: number;
  /** How long a ping may go unanswered before the plugin stops. Defaults to 5000. */
  hostPingTimeoutMs?: number;
  /** How long calls to the host wait. Defaults to 30000. */
  callTimeoutMs?: number;
  /** The lowest level sent to the host. Defaults to Information. */
  minimumLogLevel?: LogLevel;
  /** The longest cmd in bytes, both ways. Defaults to 4096. */
  maxCmdBytes?: number;
  /** The longest buffer in bytes, both ways. Defaults to 64 MiB. */
  maxChunkBytes?: number;
  /** How many of the host's requests run at once. Defaults to 256. */
  maxConcurrentHandlers?: number;
  /** How many of the host's messages may wait for handlers before reading pauses. Defaults to 1024. */
  maxQueuedMessages?: number;
  /** How many bytes of them may wait. Defaults to 16 MiB. */
  maxQueuedBytes?: number;
  /** How many bytes of request bodies over 64 KiB running handlers may hold at once; the next such request waits, in order (one larger runs alone). Defaults to 64 MiB. */
  maxRunningRequestBytes?: number;
  /** How many bytes may wait to be written, when the host does not read, before no new handler starts (its requests wait in the queue above). Defaults to 16 MiB. */
  maxUnsentBytes?: number;
  /** Sends a handler's stack trace in the details of a HANDLER_ERROR. Defaults to false. */
  includeErrorDetails?: boolean;
  /** Whether start() exits the process when the plugin stops. Defaults to true. */
  exitProcess?: boolean;
}

export type LogLevel = 'Trace' | 'Debug' | 'Information' | 'Warning' | 'Error' | 'Critical';
export declare const LOG_LEVELS: readonly LogLevel[];

/** A logger whose entries reach the host's ILogger (cmd.log) with their level; an Error argument becomes the exception. */
export interface Logger {
  readonly category: string;
  log(level: LogLevel, ...args: unknown[]): void;
  trace(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  critical(...args: unknown[]): void;
  /** A logger of another category (by default, the plugin's name). */
  child(category: string): Logger;
  isEnabled(level: LogLevel): boolean;
}

/** The bridge to the plugin's owner on the host: text messages, one bridge.message each way (protocol section 13). */
export interface Bridge extends EventEmitter {
  on(event: 'connect', listener: () => void): this;
  on(event: 'message', listener: (data: string) => void): this;
  on(event: 'disconnect', listener: () => void): this;
  once(event: 'connect' | 'disconnect', listener: () => void): this;
  once(event: 'message', listener: (data: string) => void): this;
  off(event: 'connect' | 'disconnect', listener: () => void): this;
  off(event: 'message', listener: (data: string) => void): this;
  /** Sends text to the host's side; resolves once written. */
  send(text: string): Promise<void>;
  /** Sends a value as JSON text. */
  sendJson(value: unknown): Promise<void>;
  /** Listens for messages that are JSON, parsed (others are logged and skipped); returns a function that stops listening. */
  onJson(listener: (value: any) => void): () => void;
}

/** A bus message as a subscriber receives it. */
export interface BusMessage {
  topic: string;
  /** The id of the host where it was published; empty for this plugin's own host. */
  origin: string;
  /** Its number among its topic's messages on its origin (0: not numbered). */
  sequence: number;
  /** The plugin that published it, or null for host code. */
  publisher: string | null;
  payload: Buffer;
  /** How many messages of the topic were missed before it. */
  missed: number;
  /** Set for a request: fires when the host gives up. */
  signal?: AbortSignal;
}

/** A bus reply. */
export interface BusReply {
  topic: string;
  publisher: string | null;
  payload: Buffer;
}

/** A subscriber; for a request, what it returns (not undefined) is the reply. */
export type BusHandler = (payload: Buffer, message: BusMessage) => BufferLike | null | undefined | void | Promise<BufferLike | null | undefined | void>;

export type ConfigScope = 'plugin' | 'user' | 'system';

export interface PluginConfig {
  /** A key's value, or undefined when absent; without a key (or with null), the scope's whole object. */
  get(scope: ConfigScope, key?: string | null): Promise<any>;
  set(scope: ConfigScope, key: string, value: unknown): Promise<void>;
  /** Whether the key was there. */
  remove(scope: ConfigScope, key: string): Promise<boolean>;
}

export interface ConfigChange {
  plugin: string;
  scope: ConfigScope;
  key: string;
}

/** A contract from its methods' signatures (protocol section 8). */
export interface Contract {
  readonly name: string;
  readonly shape: string;
  readonly metadataKey: string;
  readonly methods: readonly ContractMethod[];
}

export interface ContractMethod {
  readonly cmd: string;
  readonly name: string;
  readonly signature: string;
  readonly hash: string;
  readonly argumentCount: number;
  readonly progressIndex: number;
  readonly stream: boolean;
  readonly void: boolean;
}

/** What an implementation's functions receive after their arguments. */
export interface ContractContext {
  signal: AbortSignal;
  headers: Record<string, string>;
  cmd: string;
}

/** A contract's implementation: one function per method name; a stream method returns an (async) iterable; a progress argument is a function. */
export type ContractImplementation = Record<string, (...args: any[]) => unknown>;

/** A proxy of a contract the host implements: one function per method; stream methods return an async iterable. */
export type ContractProxy = Record<string, (...args: any[]) => any>;

export interface LifecycleContext {
  signal: AbortSignal;
  main: Main;
}

export interface Transport {
  input: Readable | Duplex;
  output?: Writable | Duplex;
  /** A framing name (text, msgpack) or a framer. Defaults to text. */
  framer?: 'text' | 'msgpack' | Framer;
}

/** The plugin's handle on its host. */
export declare class Main {
  constructor(options?: MainOptions);
  readonly name: string;
  readonly isConnected: boolean;
  /** Fires when the plugin starts to stop. */
  readonly stopping: AbortSignal;
  readonly metadata: Record<string, string>;
  readonly logger: Logger;
  readonly bridge: Bridge;
  readonly config: PluginConfig;
  configure(options: MainOptions): this;
  handle(cmd: string, handler: Handler): this;
  handleFallback(handler: Handler | null): this;
  handleTyped<TRequest = any, TResponse = any>(cmd: string, handler: (value: TRequest, context: HandlerContext) => TResponse | Promise<TResponse>): this;
  onStart(hook: (context: LifecycleContext) => void | Promise<void>): this;
  onStop(hook: (context: LifecycleContext) => void | Promise<void>): this;
  call(cmd: string, buffer?: BufferLike | null, options?: CallOptions): Promise<Buffer>;
  callTyped<TResponse = any>(cmd: string, value: unknown, options?: CallOptions): Promise<TResponse>;
  notify(cmd: string, buffer?: BufferLike | null, options?: { headers?: Record<string, string>; timeoutMs?: number }): Promise<void>;
  ping(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void>;
  subscribe(topic: string, handler: BusHandler, options?: { pattern?: boolean }): Promise<() => Promise<void>>;
  publish(topic: string, payload: BufferLike): Promise<void>;
  request(topic: string, payload: BufferLike, options?: { timeoutMs?: number; signal?: AbortSignal; all?: false }): Promise<BusReply>;
  request(topic: string, payload: BufferLike, options: { timeoutMs?: number; signal?: AbortSignal; all: true }): Promise<BusReply[]>;
  onConfigChanged(hook: (change: ConfigChange | null, message: BusMessage) => void | Promise<void>): this;
  implement(contract: Contract, implementation: ContractImplementation): this;
  contract(contract: Contract): ContractProxy;
  stop(): void;
  start(): Promise<number>;
  run(transport: Transport): Promise<number>;
}

/** The process's own Main; it starts by itself once the plugin's code uses it. */
export declare const main: Main;
export declare const bridge: Bridge;
export declare const logger: Logger;

export declare function createMain(options?: MainOptions): Main;
export declare function defineContract(name: string, signatures: string[]): Contract;

export interface Framer {
  readonly name: string;
  readonly maxCmdBytes: number;
  readonly maxChunkBytes: number;
  encode(chunk: Partial<Chunk> & { cmd: string; direction: number; buffer?: BufferLike }): Buffer;
  /**
   * `state`: an object the caller keeps for one stream only and passes with every call. After a call that found its chunk
   * incomplete, the next must pass that chunk's bytes from its start again and maybe more; a framer may note in `state`
   * how far it has read, to go on from there (what it read is not checked again). Pass a new object, or none, for any
   * other bytes.
   */
  decode(buffer: Buffer, state?: object): { chunk: Chunk; size: number } | { need: number; chunk?: undefined };
}

export interface FramerOptions {
  maxCmdBytes?: number;
  maxChunkBytes?: number;
}

export declare class TextFramer implements Framer {
  constructor(options?: FramerOptions);
  readonly name: 'text';
  readonly maxCmdBytes: number;
  readonly maxChunkBytes: number;
  encode(chunk: Partial<Chunk> & { cmd: string; direction: number; buffer?: BufferLike }): Buffer;
  decode(buffer: Buffer): { chunk: Chunk; size: number } | { need: number; chunk?: undefined };
}

export declare class MessagePackFramer implements Framer {
  constructor(options?: FramerOptions);
  readonly name: 'msgpack';
  readonly maxCmdBytes: number;
  readonly maxChunkBytes: number;
  encode(chunk: Partial<Chunk> & { cmd: string; direction: number; buffer?: BufferLike }): Buffer;
  decode(buffer: Buffer, state?: object): { chunk: Chunk; size: number } | { need: number; chunk?: undefined };
}

export declare function createFramer(name?: 'text' | 'msgpack', options?: FramerOptions): Framer;

export interface ChannelOptions {
  input: Readable | Duplex;
  output: Writable | Duplex;
  framer: Framer;
  name?: string;
  maxConcurrentHandlers?: number;
  maxQueuedMessages?: number;
  maxQueuedBytes?: number;
  maxRunningRequestBytes?: number;
  maxUnsentBytes?: number;
  callTimeoutMs?: number;
  includeErrorDetails?: boolean;
  onWarning?: (message: string) => void;
}

/** One connection: requests both ways, one-way messages, cancellation, pings (the side a host or a test uses directly). */
export declare class Channel {
  constructor(options: ChannelOptions);
  readonly isOpen: boolean;
  readonly signal: AbortSignal;
  /** True while more than maxUnsentBytes wait to be written because the other side does not read (no new handler starts). */
  readonly outputFull: boolean;
  readonly closed: Promise<Error | undefined>;
  readonly closeReason: Error | undefined;
  fallback: Handler | null;
  handle(cmd: string, handler: Handler | null, inline?: boolean): void;
  start(): void;
  call(cmd: string, buffer?: BufferLike | null, options?: CallOptions): Promise<Buffer>;
  notify(cmd: string, buffer?: BufferLike | null, options?: { headers?: Record<string, string> }): void;
  /** Resolves once the output can take more: at once unless outputFull, then when it has drained (true) or the channel has closed first (false: what waited may never have been written). */
  whenWritable(): Promise<boolean>;
  ping(timeoutMs?: number, signal?: AbortSignal): Promise<void>;
  close(graceMs?: number): Promise<void>;
  abort(reason?: Error): void;
}

/** A failure the other side answered with cmd.error, or that a handler throws to answer with a code. */
export declare class RemoteError extends Error {
  constructor(code: string, message: string, details?: unknown);
  readonly code: string;
  readonly details?: unknown;
  /** On the caller's side, the cmd of the call that failed. */
  cmd: string | undefined;
}

export declare class ProtocolError extends Error {}
export declare class ChannelClosedError extends Error {}
export declare class TimeoutError extends Error {}
