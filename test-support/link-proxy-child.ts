// The process of link-proxy-process.ts: one link proxy, driven by messages from its parent. It
// ends when asked to stop, and when the parent goes (its IPC channel closes).
import { startLinkProxy, type Impairment, type LinkProxyOptions } from './link-proxy';

type Request =
  | { readonly kind: 'impair'; readonly id: number; readonly impairment: Impairment }
  | { readonly kind: 'clear' | 'stats' | 'stop'; readonly id: number };

const send = (message: Record<string, unknown>): void => {
  process.send?.(message);
};

const main = async (): Promise<void> => {
  const options = JSON.parse(process.argv[2] ?? '{}') as LinkProxyOptions;
  const proxy = await startLinkProxy(options);
  process.on('message', (request: Request) => {
    void (async () => {
      try {
        if (request.kind === 'impair') proxy.impair(request.impairment);
        else if (request.kind === 'clear') proxy.clear();
        else if (request.kind === 'stats') return send({ kind: 'done', id: request.id, stats: proxy.stats() });
        else {
          await proxy.stop();
          send({ kind: 'done', id: request.id });
          process.disconnect();
          return;
        }
        send({ kind: 'done', id: request.id });
      } catch (error) {
        send({ kind: 'failed', id: request.id, message: (error as Error).message });
      }
    })();
  });
  process.on('disconnect', () => {
    void proxy.stop().finally(() => process.exit(0));
  });
  send({ kind: 'listening', host: proxy.host, port: proxy.port });
};

main().catch((error: Error) => {
  send({ kind: 'failed', message: error.message });
  process.exit(1);
});
