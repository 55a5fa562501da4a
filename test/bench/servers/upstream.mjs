/** The service behind the proxies: node:http, `{"ok":true}` for every request. */
import { createServer } from 'node:http';
import { exitOnSignal, reportReady } from '../lib/child.mjs';

const body = JSON.stringify({ ok: true });
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => reportReady({ port: server.address().port }));
exitOnSignal(() => new Promise((resolve) => server.close(resolve)));
