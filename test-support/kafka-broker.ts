// A Kafka broker of a suite's own, for a suite that restarts it: scripts/infra/kafka.sh on free
// ports, with its config, log and data in a folder of the suite's (KAFKA_RUN_DIR, KAFKA_DATA_DIR),
// so that the shared broker of the other suites (KAFKA_BROKERS) is never touched.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort, ROOT } from './processes';

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, 'scripts/infra/kafka.sh');

export interface KafkaBroker {
  /** host:port, for KAFKA_BROKERS. */
  readonly brokers: string;
  /** Stops the broker (SIGTERM, as `kafka.sh down` does) and starts it again on the same data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same data; resolves once it answers. */
  start(): Promise<void>;
  /** The end of the broker's log, for a failure's message. */
  logTail(lines?: number): string;
}

export const startKafkaBroker = async (folder: string): Promise<KafkaBroker> => {
  const [port, controllerPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_DATA_DIR: path.join(folder, 'data'),
    KAFKA_RUN_DIR: path.join(folder, 'run'),
    // One JVM among the suite's processes on a small machine.
    KAFKA_HEAP: '-Xms128m -Xmx384m',
  };
  const kafka = async (command: 'up' | 'down'): Promise<void> => {
    try {
      await run(SCRIPT, [command], { env, timeout: 120_000 });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`kafka.sh ${command} on port ${port} failed: ${stderr ?? String(error)}`);
    }
  };
  await kafka('up');
  return {
    brokers: `127.0.0.1:${port}`,
    restart: async () => {
      await kafka('down');
      await kafka('up');
    },
    stop: () => kafka('down'),
    start: () => kafka('up'),
    logTail: (lines = 40) => {
      try {
        return readFileSync(path.join(folder, 'run', 'kafka.log'), 'utf8')
          .trim()
          .split('\n')
          .slice(-lines)
          .join('\n');
      } catch {
        return '(no broker log)';
      }
    },
  };
};
