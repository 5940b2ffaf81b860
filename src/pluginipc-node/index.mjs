// The ES module entry point: the same objects as the CommonJS one (one Main per process, whichever way it is loaded).
import pluginipc from './index.js';

export const {
  main,
  bridge,
  logger,
  createMain,
  defineContract,
  Main,
  Channel,
  RemoteError,
  ProtocolError,
  ChannelClosedError,
  TimeoutError,
  Direction,
  TextFramer,
  MessagePackFramer,
  createFramer,
  LOG_LEVELS,
} = pluginipc;
