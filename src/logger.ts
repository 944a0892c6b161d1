// pino: one JSON object per line for log collectors, or — when a person watches a terminal —
// pino-pretty's readable lines, so the start-up text is not mixed with JSON.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export function createLogger(level: string, human = process.stdout.isTTY === true): Logger {
  const options = {
    level,
    // Tokens travel in ?token= on the legacy socket; never write them to a log.
    redact: { paths: ['req.headers.authorization', 'password', '*.password'], censor: '[redacted]' },
  };
  if (!human) return pino(options);
  // Synchronous, in this thread: no worker, and nothing lost when the process exits at once.
  return pino(options, pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }));
}
export type { Logger };
