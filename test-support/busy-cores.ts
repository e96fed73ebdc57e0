// Processes that keep cores busy, for a suite that must also pass on a loaded machine (the fault
// suite with FAULTS_BUSY_CORES). Each one spins until it is stopped, its parent has gone, or 30
// minutes have passed, so that a test run that was killed leaves nothing spinning behind it.
import { spawn } from 'node:child_process';

const SPIN = [
  'const parent = process.ppid;',
  'const end = Date.now() + 30 * 60_000;',
  'for (let i = 1; ; i++) if (i % 1e7 === 0 && (process.ppid !== parent || Date.now() > end)) process.exit(0);',
].join('\n');

export interface BusyCores {
  readonly count: number;
  stop(): Promise<void>;
}

export const busyCores = (count: number): BusyCores => {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore', env: { PATH: process.env['PATH'] } }),
  );
  return {
    count,
    stop: () =>
      Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      ).then(() => undefined),
  };
};
