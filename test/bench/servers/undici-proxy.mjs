/**
 * The baseline proxy: the least a Node reverse proxy does — node:http in, an undici keep-alive
 * Pool out, hop-by-hop headers dropped, bodies streamed both ways. No auth, no logging.
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';
import { childArgs, exitOnSignal, reportReady } from '../lib/child.mjs';

// mode 'request' (default): pool.request() + stream.pipeline, the usual idiom;
// mode 'stream': pool.stream() writes the upstream body straight into the response.
const { upstream, mode = 'request' } = childArgs();
const pool = new Pool(upstream, { connections: 64, pipelining: 1 });
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

function forwardHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function viaStream(req, res, hasBody) {
  pool.stream(
    {
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req.headers),
      body: hasBody ? req : undefined,
    },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, forwardHeaders(headers));
      return res;
    },
    (error) => {
      if (error && !res.headersSent) res.writeHead(502).end();
      else if (error) res.destroy();
    },
  );
}

const server = createServer((req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  if (mode === 'stream') {
    viaStream(req, res, hasBody);
    return;
  }
  pool.request(
    {
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req.headers),
      body: hasBody ? req : undefined,
    },
    (error, answer) => {
      if (error) {
        res.writeHead(502).end();
        return;
      }
      res.writeHead(answer.statusCode, forwardHeaders(answer.headers));
      pipeline(answer.body, res, () => {});
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => reportReady({ port: server.address().port }));
exitOnSignal(async () => {
  server.close();
  await pool.close();
});
