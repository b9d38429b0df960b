// The processes of a running server as Linux lists them (the benchmarks read their memory, the
// web-process drill counts them).
import { readFileSync, readdirSync } from 'node:fs';

/** `pid` and its descendants (the web processes of server/web-workers.ts), from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i += 1) {
    const p = all[i]!;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // ended meanwhile
    }
    for (const tid of tids) {
      try {
        all.push(...readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      } catch {
        // a thread that ended meanwhile
      }
    }
  }
  return all;
}

/** CPU seconds (user + system) used so far by `pid` and its descendants (Linux clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      // Fields after the command's closing parenthesis: state is the 3rd field, utime the 14th, stime the 15th.
      const rest = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ').pop()!.split(' ');
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      // ended meanwhile
    }
  }
  return ticks / 100;
}
