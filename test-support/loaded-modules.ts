// Starts the service with the roles of ROLES on a scratch embedded data folder (DATA_DIR), then
// prints which modules of the packages named in PACKAGES (comma-separated) it loaded, as JSON, and
// stops: what a process with those roles really imports (scripts/src/e2e/roles.int.spec.ts).
import { loadConfig, silentLogger } from '../infra/src';
import { createApp } from '../scripts/src/app';

const main = async (): Promise<void> => {
  const packages = (process.env['PACKAGES'] ?? '').split(',').filter(Boolean);
  const app = createApp(loadConfig({ ...process.env, PORT: '0' }), silentLogger());
  await app.start();
  const loaded = Object.keys(require.cache).filter((file) =>
    packages.some((name) => file.includes(`/node_modules/${name}/`)),
  );
  process.stdout.write(`${JSON.stringify({ loaded })}\n`);
  await app.stop();
};

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
