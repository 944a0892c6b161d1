import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Tokens travel in ?token= on the legacy socket; never write them to a log.
    redact: { paths: ['req.headers.authorization', 'password', '*.password'], censor: '[redacted]' },
  });
}
export type { Logger };
