/** node-http-proxy (`http-proxy`) with a keep-alive agent, no auth, no logging. */
import { createServer, Agent } from 'node:http';
import httpProxy from 'http-proxy';
import { childArgs, exitOnSignal, reportReady } from '../lib/child.mjs';

const { upstream } = childArgs();
const proxy = httpProxy.createProxyServer({
  target: upstream,
  agent: new Agent({ keepAlive: true, maxSockets: 64 }),
  xfwd: false,
});
proxy.on('error', (_error, _req, res) => {
  if (!res.headersSent) res.writeHead(502);
  res.end();
});
const server = createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => reportReady({ port: server.address().port }));
exitOnSignal(() => new Promise((resolve) => server.close(resolve)));
