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

/** user+system CPU time of `pid` and its live descendants, in µs (resolution: one clock tick). */
export function cpuMicros(pid) {
  // utime and stime are fields 14 and 15 of stat; after dropping pid and comm they are 11 and 12.
  const fields = statFields(pid);
  let ticks = Number(fields[11]) + Number(fields[12]);
  for (const child of childrenOf(pid)) ticks += cpuMicros(child) / MICROS_PER_TICK;
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
