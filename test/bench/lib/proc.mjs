/**
 * CPU time of a process (and its children, for nginx's master + worker) read from
 * `/proc/<pid>/stat`: the kernel's own accounting, the same for Node, nginx or anything else.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SEC = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const MICROS_PER_TICK = 1e6 / TICKS_PER_SEC;

/** Fields after the `(comm)` part, which may itself contain spaces. */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function childrenOf(pid) {
  const found = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    } catch {
      continue;
    }
    if (text !== '') found.push(...text.split(' ').map(Number));
  }
  return found;
}

/**
 * Time on CPU of every thread of `pid`, in ns, from `/proc/<pid>/task/<tid>/schedstat` (the
 * scheduler's own accounting, nanosecond resolution), or undefined where the kernel has no
 * schedstat. A clock tick (10 ms) is several percent of a short measurement; this is not.
 */
function schedNanos(pid) {
  let total = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
  } catch {
    return undefined;
  }
  return Number.isFinite(total) && total > 0 ? total : undefined;
}

/** CPU time of `pid` and its live descendants, in µs (schedstat; clock ticks as a fallback). */
export function cpuMicros(pid) {
  const nanos = schedNanos(pid);
  if (nanos !== undefined) {
    let micros = nanos / 1000;
    for (const child of childrenOf(pid)) micros += cpuMicros(child);
    return micros;
  }
  return tickMicros(pid);
}

/** user+system CPU time of `pid` and its live descendants, in µs (resolution: one clock tick). */
function tickMicros(pid) {
  // utime and stime are fields 14 and 15 of stat; after dropping pid and comm they are 11 and 12.
  const fields = statFields(pid);
  let ticks = Number(fields[11]) + Number(fields[12]);
  for (const child of childrenOf(pid)) ticks += tickMicros(child) / MICROS_PER_TICK;
  return ticks * MICROS_PER_TICK;
}

/** Resident set size of `pid`, in bytes. */
export function rssBytes(pid) {
  const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return pages * 4096;
}

/** Pin the current process (all its threads) to one core. */
export function pinSelf(core) {
  try {
    execFileSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const CLOCK_TICK_MICROS = MICROS_PER_TICK;
