// Self and inclusive time per function (top N) of a .cpuprofile written by `node --cpu-prof`:
//   node --import tsx bench/cpuprofile-top.ts <file.cpuprofile> [N] [--last S] [--callers NAME] [--under NAME]
// --last S       only the profile's last S seconds (`npm run bench -- --targets queue --cpu-prof`
//                measures the queue last: --last 15 leaves out start-up and the bare page)
// --callers NAME the five frames above each function whose name starts with NAME, by time
// --under NAME   self time of the functions called (at any depth) by NAME
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { last: { type: 'string' }, callers: { type: 'string' }, under: { type: 'string' } } });
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const prof = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
const n = Number(positionals[1] ?? 30);
const from = values.last ? prof.endTime - Number(values.last) * 1e6 : -Infinity;

const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const parent = new Map<number, number>();
for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const nameOf = (id: number) => {
  const f = byId.get(id)!.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules\/)?/, '')}:${f.lineNumber + 1}`;
};
/** The sample's frames, innermost first. */
const stackOf = (id: number) => {
  const out: string[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) out.push(nameOf(cur));
  return out;
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const callers = new Map<string, number>();
const under = new Map<string, number>();
const add = (m: Map<string, number>, k: string, ms: number) => m.set(k, (m.get(k) ?? 0) + ms);
let total = 0;
let t = prof.startTime;
prof.samples.forEach((id, i) => {
  t += prof.timeDeltas[i] ?? 0;
  if (t < from) return;
  const ms = (prof.timeDeltas[i] ?? 0) / 1000;
  total += ms;
  const stack = stackOf(id);
  add(self, stack[0]!, ms);
  for (const k of new Set(stack)) add(inclusive, k, ms);
  if (values.callers) {
    const at = stack.findIndex((k) => k.startsWith(values.callers!));
    if (at >= 0) add(callers, stack.slice(at + 1, at + 6).join(' < '), ms);
  }
  if (values.under && stack.some((k) => k.startsWith(values.under!))) add(under, stack[0]!, ms);
});

const print = (title: string, m: Map<string, number>) => {
  console.log(title);
  for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms.toFixed(0).padStart(7)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`total ${total.toFixed(0)} ms${values.last ? ` (the last ${values.last} s)` : ''}`);
print('-- self', self);
print('-- inclusive', inclusive);
if (values.callers) print(`-- callers of ${values.callers}`, callers);
if (values.under) print(`-- self time under ${values.under}`, under);
