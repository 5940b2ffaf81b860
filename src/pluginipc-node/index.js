'use strict';

const { Main, createDefaultMain } = require('./lib/main');
const { RemoteError, ProtocolError, ChannelClosedError, TimeoutError } = require('./lib/errors');
const { Channel } = require('./lib/channel');
const { Direction, TextFramer, MessagePackFramer, createFramer } = require('./lib/framing');
const { defineContract } = require('./lib/contracts');
const { LEVELS } = require('./lib/logger');

// The process's own Main. It starts by itself once the plugin's code uses it (main, bridge or logger), on the next turn of
// the event loop, so that everything registered synchronously is in place before the host's first message.
const main = createDefaultMain();

/** Creates a Main that does not start by itself: run it over streams with run(), or as a launched plugin with start(). */
function createMain(options) {
  return new Main(options);
}

module.exports = {
  main,
  bridge: main.bridge,
  logger: main.logger,
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
  LOG_LEVELS: LEVELS,
};
