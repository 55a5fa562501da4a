/**
 * The targets of issue 16 (performance round two), judged on a result set: printed as met / short,
 * never asserted. Every CPU ratio is taken per round (both figures from the same round) and the
 * median over the rounds is judged. A target against "the cheaper" of two references picks the
 * one with the lower median in this run, so nothing is ever "met" against a slower idiom.
 * `mark` tells the chart where to draw the target: `factor` × the reference's median CPU.
 */
import { summary } from './stats.mjs';

const get = (cases, name) => cases?.find((c) => c.name === name);
const fmt = (s) => `${s.median.toFixed(2)} × (spread ${s.min.toFixed(2)}–${s.max.toFixed(2)})`;

/** CPU of `c` / CPU of `ref`, per round. */
export function perRoundRatio(c, ref) {
  return summary(c.rounds.map((r, i) => r.cpuUsPerRequest / ref.rounds[i].cpuUsPerRequest));
}

/** The reference with the lowest median CPU per request among `names`. */
export function cheapest(cases, names) {
  const found = names.map((n) => get(cases, n)).filter(Boolean);
  return found.sort((a, b) => a.cpuUsPerRequest.median - b.cpuUsPerRequest.median)[0];
}

function ratioTarget(group, c, ref, factor, what) {
  const ratio = perRoundRatio(c, ref);
  return {
    target: `${what}, ${c.label}: CPU/request ≤ ${factor} × ${ref.label}`,
    value: fmt(ratio),
    met: ratio.median <= factor,
    mark: { group, case: c.name, reference: ref.name, factor },
  };
}

function middlewareTargets(mw) {
  const out = [];
  const bare = get(mw, 'bare');
  const ideal = get(mw, 'ideal');
  const auth0 = get(mw, 'express-oauth2-jwt-bearer');
  for (const name of ['portcullis-jwt', 'portcullis-basic', 'portcullis-access-token']) {
    const c = get(mw, name);
    if (!c) continue;
    if (ideal) out.push(ratioTarget('middleware', c, ideal, 1.05, 'middleware'));
    if (bare) out.push(ratioTarget('middleware', c, bare, 1.15, 'middleware'));
    if (auth0) {
      const efficiency = summary(
        c.rounds.map((r, i) => auth0.rounds[i].cpuUsPerRequest / r.cpuUsPerRequest),
      );
      out.push({
        target: `middleware, ${c.label}: ≥ 2 × as efficient (CPU/request) as ${auth0.label}`,
        value: fmt(efficiency),
        met: efficiency.median >= 2,
        mark: { group: 'middleware', case: c.name, reference: auth0.name, factor: 0.5 },
      });
    }
  }
  return out;
}

function sidecarTargets(sc) {
  const out = [];
  const sidecar = get(sc, 'portcullis');
  if (!sidecar) return out;
  const undici = cheapest(sc, ['undici-proxy', 'undici-proxy-stream']);
  if (undici) out.push(ratioTarget('sidecar', sidecar, undici, 1.25, 'sidecar'));
  const httpProxy = get(sc, 'http-proxy');
  if (httpProxy) {
    const ratio = perRoundRatio(sidecar, httpProxy);
    out.push({
      target: `sidecar, ${sidecar.label}: CPU/request < http-proxy`,
      value: fmt(ratio),
      met: ratio.median < 1,
      mark: { group: 'sidecar', case: sidecar.name, reference: httpProxy.name, factor: 1 },
    });
  }
  return out;
}

export function judgeTargets(scenarios) {
  const targets = [
    ...middlewareTargets(scenarios.middleware?.cases),
    ...sidecarTargets(scenarios.sidecar?.cases),
  ];
  const cold = scenarios.cold;
  if (cold && !cold.error) {
    targets.push({
      target: 'cold path, first-seen RS256 JWTs: CPU/token ≤ 1.2 × raw jose jwtVerify',
      value: fmt(cold.cpuRatio),
      met: cold.cpuRatio.median <= 1.2,
    });
  }
  const idp = scenarios.idp;
  if (idp && !idp.error) {
    targets.push({
      target: 'exactly one IdP call per distinct credential per TTL window (100-way concurrency)',
      value: `${idp.exchangeCallsCached} exchange calls for ${idp.distinctCredentials} credentials`,
      met: idp.oneCallPerCredential,
    });
  }
  const rev = scenarios.revocation;
  if (rev && !rev.error) {
    targets.push({
      target: 'revocation reaches every replica (3 sidecars, Redis): p99 ≤ 10 ms',
      value: `p50 ${rev.everyReplicaRejectsMs.p50} ms, p99 ${rev.everyReplicaRejectsMs.p99} ms (${rev.trials} trials)`,
      met: rev.everyReplicaRejectsMs.p99 <= 10,
    });
  }
  const mem = scenarios.memory;
  if (mem && !mem.error) {
    // Quick runs hold fewer entries: the limit scales with the count.
    const scale = mem.entries / 100_000;
    const entries = mem.entries.toLocaleString('en');
    targets.push({
      target: `${entries} cached principals ≤ ${(60 * scale).toFixed(0)} MiB heap (60 MiB per 100k)`,
      value: `+${mem.principals.heapMiB} MiB heap`,
      met: mem.principals.heapMiB <= 60 * scale,
    });
    targets.push({
      target: `${entries} tombstones ≤ ${(20 * scale).toFixed(0)} MiB heap (20 MiB per 100k)`,
      value: `+${mem.tombstones.heapMiB} MiB heap`,
      met: mem.tombstones.heapMiB <= 20 * scale,
    });
  }
  return targets;
}
