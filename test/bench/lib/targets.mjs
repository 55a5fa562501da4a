/** The targets of docs/design.md §8, judged on a result set: printed as met / short, never asserted. */
const get = (cases, name) => cases?.find((c) => c.name === name);

export function judgeTargets(scenarios) {
  const targets = [];
  const mw = scenarios.middleware?.cases;
  for (const name of ['portcullis-jwt', 'portcullis-basic', 'portcullis-access-token']) {
    const c = get(mw, name);
    if (!c) continue;
    targets.push({
      target: `middleware, ${c.label}: CPU/request ≤ 1.05 × bare Express`,
      value: `${c.cpuRatio.median.toFixed(2)} × (spread ${c.cpuRatio.min.toFixed(2)}–${c.cpuRatio.max.toFixed(2)})`,
      met: c.cpuRatio.median <= 1.05,
    });
  }
  const sc = scenarios.sidecar?.cases;
  const sidecar = get(sc, 'portcullis');
  if (sidecar) {
    targets.push({
      target:
        'sidecar, cached request, access log + metrics: CPU/request ≤ 1.2 × bare undici proxy',
      value: `${sidecar.cpuRatio.median.toFixed(2)} × (spread ${sidecar.cpuRatio.min.toFixed(2)}–${sidecar.cpuRatio.max.toFixed(2)})`,
      met: sidecar.cpuRatio.median <= 1.2,
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
      target: 'revocation reaches every replica (3 sidecars, Redis): p99 ≤ 50 ms',
      value: `p50 ${rev.everyReplicaRejectsMs.p50} ms, p99 ${rev.everyReplicaRejectsMs.p99} ms (${rev.trials} trials)`,
      met: rev.everyReplicaRejectsMs.p99 <= 50,
    });
  }
  const mem = scenarios.memory;
  if (mem && !mem.error) {
    const mb = (mem.principals.heapMiB * 2 ** 20) / 1e6;
    targets.push({
      target: `${mem.entries.toLocaleString('en')} cached principals ≤ 100 MB heap`,
      value: `+${mb.toFixed(0)} MB heap (${mem.principals.heapMiB} MiB)`,
      met: mem.entries >= 100_000 ? mb <= 100 : mb <= (100 * mem.entries) / 100_000,
    });
  }
  return targets;
}
