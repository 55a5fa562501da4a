/**
 * Scenario 3: first-seen JWTs per second (every token new, so every request is a cache miss and
 * a signature verification) through core's authenticator vs raw jose `jwtVerify`.
 */
import { config } from '../lib/config.mjs';
import { serverPath, startServer } from '../lib/child.mjs';
import { round, summary } from '../lib/stats.mjs';

export async function runColdPath({ log }) {
  const child = await startServer(serverPath('cold-path.mjs'), {
    core: config.serverCore,
    args: {
      tokensPerRound: config.coldTokens,
      rounds: config.rounds,
      concurrency: 32,
      jwtBytes: 1024,
    },
    timeoutMs: 600_000,
  });
  try {
    const rounds = [];
    for (let r = 0; r < config.rounds; r++) {
      const order = r % 2 === 0 ? ['portcullis', 'jose'] : ['jose', 'portcullis'];
      const { result } = await child.ask('round', { order });
      rounds.push(result);
      log(
        `  round ${r + 1}/${config.rounds}: portcullis ${round(result.portcullis.tokensPerSec, 0)}/s ` +
          `(${round(result.portcullis.cpuUsPerToken, 0)}µs), jose ${round(result.jose.tokensPerSec, 0)}/s ` +
          `(${round(result.jose.cpuUsPerToken, 0)}µs)`,
      );
    }
    const stats = await child.ask('stats');
    const pick = (name, key) => summary(rounds.map((r) => r[name][key]));
    const ratio = (key) => summary(rounds.map((r) => r.portcullis[key] / r.jose[key]));
    return {
      jwtBytes: child.info.jwtBytes,
      tokensPerRound: config.coldTokens,
      concurrency: 32,
      portcullis: {
        tokensPerSec: pick('portcullis', 'tokensPerSec'),
        cpuUsPerToken: pick('portcullis', 'cpuUsPerToken'),
      },
      jose: {
        tokensPerSec: pick('jose', 'tokensPerSec'),
        cpuUsPerToken: pick('jose', 'cpuUsPerToken'),
      },
      tokensPerSecRatio: ratio('tokensPerSec'),
      cpuRatio: ratio('cpuUsPerToken'),
      cacheMisses: stats.misses,
      cacheHits: stats.hits,
      rounds,
    };
  } finally {
    await child.stop();
  }
}
