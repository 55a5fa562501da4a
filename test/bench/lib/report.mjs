/** Results: `latest.json` (everything), `latest.md` (tables, targets), `latest.svg` (bar chart). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cheapest, judgeTargets, perRoundRatio } from './targets.mjs';

const DIR = fileURLToPath(new URL('../results/', import.meta.url));

const f0 = (n) => (Number.isFinite(n) ? n.toFixed(0) : '—');
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : '—');
const spread = (s, fmt = f2) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

function comparisonTable(cases, baselineLabel) {
  const lines = [
    `| Case | CPU µs/req | CPU vs ${baselineLabel} | req/s | req/s vs ${baselineLabel} | p50 ms | p99 ms |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of cases) {
    lines.push(
      `| ${c.label} | ${spread(c.cpuUsPerRequest, f0)} | ${spread(c.cpuRatio)} | ${f0(c.reqPerSec.median)} | ` +
        `${spread(c.reqPerSecRatio)} | ${f1(c.p50Ms.median)} | ${f1(c.p99Ms.median)} |`,
    );
  }
  return lines.join('\n');
}

export function markdown(results) {
  const { machine, settings, scenarios } = results;
  const out = [];
  out.push(`# Portcullis benchmark results`);
  out.push('');
  out.push(
    `${results.startedAt} · ${machine.cpuModel}, ${machine.cores} cores · Node ${machine.node} · ` +
      `${settings.rounds} interleaved rounds × ${settings.requests} requests, ${settings.connections} connections` +
      (settings.quick ? ' · **quick mode** (`--quick`: fewer, shorter rounds)' : '') +
      (machine.loadavg
        ? ` · load average ${machine.loadavg[0]} on ${machine.cores} cores at the end${machine.loadavg[0] > machine.cores ? ' (**a busy machine: wide spreads, read ratios as indications**)' : ''}`
        : ''),
  );
  out.push('');
  out.push(
    'Figures: median over the rounds, spread (min–max) in brackets. Ratios are computed per round ' +
      'against the baseline measured in the same round. CPU = time on CPU of every thread of the server ' +
      'process (and its children), from /proc schedstat, per request; the server is pinned to its own core.',
  );
  out.push('');
  out.push('## Targets (issue 16: ratios within this run)');
  out.push('');
  out.push('| Target | Measured | |');
  out.push('| --- | --- | --- |');
  for (const t of judgeTargets(scenarios)) {
    out.push(`| ${t.target} | ${t.value} | ${t.met ? 'met' : '**short**'} |`);
  }
  const failed = Object.entries(scenarios).filter(([, s]) => s?.error);
  for (const [name, s] of failed) out.push(`\nScenario \`${name}\` did not run: ${s.error}`);

  if (scenarios.middleware?.cases) {
    out.push('', '## 1. Middleware (Express 5, one route)', '');
    out.push(comparisonTable(scenarios.middleware.cases, 'bare'));
    const mw = scenarios.middleware.cases;
    const jwt = mw.find((c) => c.name === 'portcullis-jwt');
    if (jwt) {
      const peers = mw.filter(
        (c) =>
          !c.name.startsWith('portcullis') && !['bare', 'noop-async', 'ideal'].includes(c.name),
      );
      out.push('');
      out.push(
        'Cached JWT through `m2mAuth` is ' +
          peers
            .map(
              (p) =>
                `${f2(p.cpuUsPerRequest.median / jwt.cpuUsPerRequest.median)}× as efficient as ${p.label}`,
            )
            .join('; ') +
          ` (JWTs: ${scenarios.middleware.jwtBytes.emulator} B / ${scenarios.middleware.jwtBytes.peers} B).`,
      );
    }
  }
  if (scenarios.sidecar?.cases) {
    out.push('', '## 2. Sidecar (proxy hop)', '');
    out.push(comparisonTable(scenarios.sidecar.cases, 'undici proxy'));
    out.push(
      '',
      '"direct" is the upstream itself pinned to the server core (its own CPU per request). ' +
        "nginx and Apache run without an access log; Apache's CPU is its master plus its child.",
    );
    const sc = scenarios.sidecar.cases;
    const ours = sc.find((c) => c.name === 'portcullis');
    const refs = ['undici-proxy', 'undici-proxy-stream', 'http-proxy', 'nginx', 'apache-oauth2']
      .map((n) => sc.find((c) => c.name === n))
      .filter(Boolean);
    if (ours && refs.length > 0) {
      out.push(
        '',
        'The sidecar against each reference, CPU per request, per round (median, spread):',
        '',
      );
      for (const ref of refs) {
        out.push(`- ${ref.label}: ${spread(perRoundRatio(ours, ref))} ×`);
      }
    }
  }
  const cold = scenarios.cold;
  if (cold && !cold.error) {
    out.push('', '## 3. Cold path (first-seen RS256 JWTs, distinct each request)', '');
    out.push('| Verifier | tokens/s | CPU µs/token |', '| --- | ---: | ---: |');
    out.push(
      `| core authenticator (oauth2 preset) | ${spread(cold.portcullis.tokensPerSec, f0)} | ${spread(cold.portcullis.cpuUsPerToken, f0)} |`,
    );
    out.push(
      `| raw jose \`jwtVerify\` | ${spread(cold.jose.tokensPerSec, f0)} | ${spread(cold.jose.cpuUsPerToken, f0)} |`,
    );
    out.push(
      '',
      `Authenticator / jose: tokens/s ${spread(cold.tokensPerSecRatio)}, CPU ${spread(cold.cpuRatio)}; ${cold.jwtBytes} B JWTs, ${cold.concurrency} in flight, ${cold.tokensPerRound} tokens per round.`,
    );
  }
  const idp = scenarios.idp;
  if (idp && !idp.error) {
    out.push(
      '',
      `## 4. IdP load (${idp.concurrency}-way concurrency, ${idp.distinctCredentials} distinct client credentials, IdP latency ${idp.idpLatencyMs} ms)`,
      '',
    );
    out.push(
      '| Cache | requests | req/s | exchange calls | hits | misses | coalesced | failures |',
    );
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [label, r, calls] of [
      ['on (TTL 30 s)', idp.cached, idp.exchangeCallsCached],
      ['off (`ttlMs: 0`)', idp.uncached, idp.exchangeCallsUncached],
    ]) {
      out.push(
        `| ${label} | ${r.requests} | ${f0(r.reqPerSec)} | ${calls} | ${r.stats.hits} | ${r.stats.misses} | ${r.stats.coalesced} | ${r.failures} |`,
      );
    }
  }
  const rev = scenarios.revocation;
  if (rev && !rev.error) {
    out.push(
      '',
      `## 5. Revocation latency (${rev.replicas} sidecars sharing Redis, ${rev.trials} trials)`,
      '',
    );
    out.push('| | p50 ms | p99 ms | max ms |', '| --- | ---: | ---: | ---: |');
    out.push(
      `| webhook answered (applied, stored, published) | ${rev.webhookAnswerMs.p50} | ${rev.webhookAnswerMs.p99} | ${rev.webhookAnswerMs.max} |`,
    );
    out.push(
      `| every replica rejects | ${rev.everyReplicaRejectsMs.p50} | ${rev.everyReplicaRejectsMs.p99} | ${rev.everyReplicaRejectsMs.max} |`,
    );
  }
  const mem = scenarios.memory;
  if (mem && !mem.error) {
    out.push('', `## 6. Memory (${mem.entries.toLocaleString('en')} entries, after full GC)`, '');
    out.push(
      '| | heap added MiB | RSS added MiB | heap total MiB | RSS total MiB |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    out.push(
      `| cached principals | ${mem.principals.heapMiB} | ${mem.principals.rssMiB} | ${mem.principals.heapTotalMiB} | ${mem.principals.rssTotalMiB} |`,
    );
    out.push(
      `| tombstones | ${mem.tombstones.heapMiB} | ${mem.tombstones.rssMiB} | ${mem.tombstones.heapTotalMiB} | ${mem.tombstones.rssTotalMiB} |`,
    );
    out.push(
      '',
      `Cache's own size estimate for the principals: ${f1(mem.principals.estimatedBytes / 2 ** 20)} MiB (claims ${mem.claimsBytes} B of JSON each).`,
    );
  }
  const growth = scenarios.growth;
  if (growth && !growth.error) {
    out.push('', '## 7. Cost growth (core, in-process; 1M projected)', '');
    out.push(
      '| Cached principals | heap added MiB | B per principal | CPU µs per cached authentication | IdP calls (K credentials × 3, 100-way) |',
      '| ---: | ---: | ---: | ---: | ---: |',
    );
    for (const r of growth.rows) {
      out.push(
        `| ${r.entries.toLocaleString('en')} | ${f1(r.heapMiB)} | ${f0(r.bytesPerEntry)} | ${f2(r.cpuUsPerHit)} | ${r.idpCalls} for ${r.entries.toLocaleString('en')} |`,
      );
    }
    const p = projectMillion(growth.rows);
    if (p) {
      out.push(
        `| 1,000,000 (projected) | ${f0(p.heapMiB)} | ${f0(p.bytesPerEntry)} | ${f2(p.cpuUsPerHit)} | 1,000,000 for 1,000,000 (one per credential) |`,
      );
    }
    out.push(
      '',
      `Claims ${growth.claimsBytes} B of JSON per principal. The 1M row is a projection, not a measurement: heap from the ` +
        'per-principal cost of the largest measured size, CPU per hit from the slope between the two largest sizes per ' +
        'tenfold growth.',
    );
  }
  out.push('', '## Machine and versions', '');
  out.push(
    `- ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryMiB} MiB, ${machine.os}`,
  );
  out.push(
    `- Node ${machine.node}; nginx ${machine.nginx ?? 'not installed'}; Apache ${machine.apache ?? 'not installed'}`,
  );
  if (machine.loadavg) {
    out.push(
      `- Load average when the run ended: ${machine.loadavg.join(', ')} (1, 5, 15 min) on ${machine.cores} cores shared with other work`,
    );
  }
  out.push(
    `- ${Object.entries(machine.packages)
      .filter(([, v]) => v)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}`,
  );
  out.push(`- Command: \`${results.command}\` with ${JSON.stringify(results.envUsed)}`);
  out.push('');
  return out.join('\n');
}

/** 1M cached principals, projected from the measured rows (largest size and last decade's slope). */
export function projectMillion(rows) {
  const sorted = [...rows].sort((a, b) => a.entries - b.entries);
  const last = sorted.at(-1);
  const prev = sorted.at(-2);
  if (!last || !prev || last.entries >= 1_000_000) return undefined;
  const decades = Math.log10(1_000_000 / last.entries);
  const perDecade = (last.cpuUsPerHit - prev.cpuUsPerHit) / Math.log10(last.entries / prev.entries);
  return {
    heapMiB: (last.bytesPerEntry * 1_000_000) / 2 ** 20,
    bytesPerEntry: last.bytesPerEntry,
    cpuUsPerHit: last.cpuUsPerHit + Math.max(0, perDecade) * decades,
  };
}

const escapeXml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Split `text` into lines of at most `width` characters, at spaces. */
function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** What each group's baseline and references are, under its bars. */
function caption(group, cases) {
  const find = (name) => cases.find((c) => c.name === name);
  if (group === 'middleware') {
    return (
      'Baseline: the same Express 5 route with no authentication. Reference rows: a middleware that ' +
      'only calls next() from a promise, and the ideal cached verifier (sha256 of the header, one Map ' +
      'lookup, an expiry check, next() from a promise: the floor of any cache that must hash the ' +
      'credential). Peers verify the JWT signature on every request.'
    );
  }
  const undici = cheapest(cases, ['undici-proxy', 'undici-proxy-stream']);
  return (
    `Baseline of the sidecar's target: the cheaper of the two bare undici pass-through idioms in ` +
    `this run (${undici?.label ?? 'n/a'}); http-proxy is the other Node reference. ` +
    `${find('nginx') ? 'nginx (no access log) is the limit. ' : ''}` +
    `${find('apache-oauth2') ? 'Apache httpd + mod_oauth2 verifies the same JWT through the same JWKS, natively. ' : ''}` +
    'The sidecar runs as deployed: access log to a pipe, metrics on.'
  );
}

/**
 * Horizontal bars: CPU µs per request (median), whiskers min–max, one block per group. Each target
 * is a red tick on its row at (factor × the reference's median), labelled met/short as judged
 * per round in the same run; the caption names every baseline. Label width follows the labels.
 */
export function svg(results) {
  const targets = judgeTargets(results.scenarios);
  const groups = [
    ['middleware', 'Middleware: server CPU µs per request', results.scenarios.middleware?.cases],
    ['sidecar', 'Proxies: proxy CPU µs per request', results.scenarios.sidecar?.cases],
  ].filter(([, , cases]) => Array.isArray(cases));
  const charWidth = 6.8; // 12 px sans-serif, generous
  const rowHeight = 22;
  const allLabels = groups.flatMap(([, , cases]) => cases.map((c) => c.label));
  const labelWidth = Math.ceil(Math.max(200, ...allLabels.map((l) => l.length * charWidth)) + 16);
  const barWidth = 420;
  const width = labelWidth + barWidth + 60;
  const captionChars = Math.floor((width - 20) / 6.2);
  let y = 30;
  const parts = [];
  for (const [group, title, cases] of groups) {
    const marks = targets.filter((t) => t.mark?.group === group);
    const markValue = (t) => {
      const ref = cases.find((c) => c.name === t.mark.reference);
      return ref === undefined ? undefined : ref.cpuUsPerRequest.median * t.mark.factor;
    };
    const max =
      Math.max(
        ...cases.map((c) => c.cpuUsPerRequest.max),
        ...marks.map(markValue).filter((v) => v !== undefined),
      ) * 1.05;
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escapeXml(title)}</text>`);
    y += 12;
    const x = (v) => labelWidth + (v / max) * barWidth;
    for (const c of cases) {
      const w = (c.cpuUsPerRequest.median / max) * barWidth;
      const ours = c.name.startsWith('portcullis');
      const mid = y + rowHeight / 2;
      parts.push(
        `<text x="${labelWidth - 8}" y="${mid + 4}" text-anchor="end">${escapeXml(c.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${ours ? '#2b6cb0' : '#a0aec0'}"/>`,
        `<line x1="${x(c.cpuUsPerRequest.min).toFixed(1)}" y1="${mid}" x2="${x(c.cpuUsPerRequest.max).toFixed(1)}" y2="${mid}" stroke="#1a202c"/>`,
        `<text x="${(x(c.cpuUsPerRequest.max) + 6).toFixed(1)}" y="${mid + 4}">${c.cpuUsPerRequest.median.toFixed(0)}</text>`,
      );
      for (const t of marks.filter((m) => m.mark.case === c.name)) {
        const v = markValue(t);
        if (v === undefined) continue;
        parts.push(
          `<line x1="${x(v).toFixed(1)}" y1="${y + 1}" x2="${x(v).toFixed(1)}" y2="${y + rowHeight - 1}" stroke="${t.met ? '#2f855a' : '#c53030'}" stroke-width="2"/>`,
        );
      }
      y += rowHeight;
    }
    y += 6;
    const notes = [caption(group, cases)];
    if (marks.length > 0) {
      notes.push(
        'Ticks: a target on that row at (factor × the reference median); green = met, red = short, ' +
          'judged on per-round ratios in this run: ' +
          marks
            .map(
              (t) =>
                `${t.target.replace(/^[^,]*, /, '')} → ${t.met ? 'met' : 'short'} (${t.value})`,
            )
            .join('; ') +
          '.',
      );
    }
    for (const note of notes) {
      for (const line of wrap(note, captionChars)) {
        y += 13;
        parts.push(
          `<text x="10" y="${y}" font-size="10.5" fill="#4a5568">${escapeXml(line)}</text>`,
        );
      }
      y += 4;
    }
    y += 24;
  }
  const footer = `${results.machine.cpuModel} · Node ${results.machine.node} · ${results.settings.rounds} rounds × ${results.settings.requests} requests${results.settings.quick ? ' (quick)' : ''} · median, whisker = min–max over the rounds`;
  parts.push(`<text x="10" y="${y}" font-size="11" fill="#4a5568">${escapeXml(footer)}</text>`);
  y += 12;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

/** Writes `latest.*`, or `partial.*` when only some scenarios ran. Returns the paths. */
export function writeResults(results, { partial }) {
  mkdirSync(DIR, { recursive: true });
  const base = `${DIR}${partial ? 'partial' : 'latest'}`;
  results.targets = judgeTargets(results.scenarios);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown(results));
  writeFileSync(`${base}.svg`, svg(results));
  return [`${base}.json`, `${base}.md`, `${base}.svg`];
}
