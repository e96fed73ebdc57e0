// One pino logger for the process, handed down to whatever logs (Fastify's habit).
import pino from 'pino';

export type Logger = pino.Logger;

export const createLogger = (
  options: { level?: string; name?: string; /** Default: stdout. */ destination?: pino.DestinationStream } = {},
): Logger =>
  pino(
    {
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      ...(options.name === undefined ? {} : { name: options.name }),
      // Credentials never reach the log, whatever object a caller passes.
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'secret', '*.secret', 'credentials'],
        censor: '[redacted]',
      },
    },
    options.destination,
  );

/** For tests and tools that want silence. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
