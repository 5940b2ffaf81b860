'use strict';
// A resident Node.js backend in the style of the backend-module design's process.js: an HTTP server on the port its host
// gives (NODE_BACKEND_PORT), logs that reach the host's ILogger, a bridge to its owner, and IGreeter for typed calls.
// Started by a PluginIpc host (Program.cs here); started by hand it says so on stderr and exits with code 1.
const http = require('http');
const { bridge, logger, main } = require('pluginipc');
const { IGreeter, createGreeter } = require('./greeter');

main.configure({ name: 'NodeBackend', metadata: { version: '1.0' } });
main.implement(IGreeter, createGreeter('NodeBackend'));

let server;
main.onStart(async () => {
  const port = Number(process.env.NODE_BACKEND_PORT || 0);
  server = http.createServer((request, response) => {
    logger.debug(`GET ${request.url}`);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<html><body><h1>NodeBackend</h1><p>Served by process ${process.pid} for ${request.url}</p></body></html>`);
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  logger.info(`listening on http://127.0.0.1:${server.address().port}/`);
});
main.onStop(() => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())));

bridge.on('connect', () => {
  logger.info('connected');
  bridge.send('hello, I am connected');
});
bridge.on('message', (data) => {
  if (data === 'hello') bridge.send('hello, too');
  else if (data === 'where') bridge.sendJson({ url: `http://127.0.0.1:${server.address().port}/` });
});
bridge.on('disconnect', () => logger.info('disconnect'));

// A request from the host, with its own answer: the signal aborts when the host cancels.
main.handle('echo', async (buffer) => buffer);
