// `npm run bench -- profile <file.cpuprofile>`: where a V8 CPU profile (node --cpu-prof, or a
// benchmark's --profile) spent its time: self time by package or workspace folder, and self and
// total time by function. The flame graph itself opens in Chrome DevTools or speedscope.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './results';

export const PROFILE_HELP = `Usage: npm run bench -- profile <file.cpuprofile> [--top 25]

Prints the self time of each package (node_modules/<name>) or folder of this repository, and
the functions with the most self time and the most total time (time with them on the stack).
`;

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** node_modules/<pkg>, a folder of this repository, node:internals, or (a V8 state). */
const placeOf = (url: string, name: string): string => {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const file = url.replace(/^file:\/\//, '');
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (modules !== null) return modules[1]!;
  if (file.startsWith('node:')) return 'node (internals)';
  const relative = path.relative(ROOT, file);
  return relative.startsWith('..') ? file : relative.split('/').slice(0, 3).join('/');
};

const labelOf = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${path.relative(ROOT, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${where}`;
};

export const summarizeProfile = (argv: readonly string[]): string => {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { top: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const top = Number(values.top ?? '25');
  const lines: string[] = [];
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const selfMs = new Map<number, number>();
    profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
    const totalMs = (profile.endTime - profile.startTime) / 1000;
    const idle = [...selfMs]
      .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
      .reduce((s, [, ms]) => s + ms, 0);

    const add = (map: Map<string, number>, key: string, ms: number): void =>
      void map.set(key, (map.get(key) ?? 0) + ms);
    const places = new Map<string, number>();
    const selfByFunction = new Map<string, number>();
    const totalByFunction = new Map<string, number>();
    for (const [id, ms] of selfMs) {
      const node = byId.get(id)!;
      add(places, placeOf(node.callFrame.url, node.callFrame.functionName), ms);
      add(selfByFunction, labelOf(node), ms);
      // Total: once per function on the sample's stack (recursion counted once).
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const label = labelOf(byId.get(at)!);
        if (!seen.has(label)) add(totalByFunction, label, ms);
        seen.add(label);
      }
    }
    const busy = totalMs - idle;
    const table = (title: string, map: Map<string, number>): void => {
      lines.push('', `${title} (ms, % of busy time)`);
      for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
        lines.push(`  ${ms.toFixed(0).padStart(8)} ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${key}`);
    };
    lines.push(`${file}: ${(totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s busy (not idle)`);
    places.delete('(idle)');
    selfByFunction.delete('(idle)');
    table('self time by package or folder', places);
    table('self time by function', selfByFunction);
    totalByFunction.delete('(root)');
    totalByFunction.delete('(idle)');
    table('total time by function', totalByFunction);
    // The same for this repository's own code only: which of its parts the time is spent under.
    const ours = new Map(
      [...totalByFunction].filter(([label]) => / (domain|infra|projections|gateways|scripts)\/src\//.test(label)),
    );
    table("total time by function of this repository's code", ours);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
};
