// Whether the writer's database is away: from a failed commit with the database silent until a
// probe (`select 1`, every second, also when no message arrives to try it) answers again.
import type { Logger } from 'pino';

const PROBE_MS = 1_000;

export class OutageWatch {
  /** False while the database is away; /readyz reads it through the writer. */
  up = true;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly reachable: () => Promise<boolean>,
    private readonly logger: Logger,
    /** Called when the database answers again. */
    private readonly onBack: () => void,
  ) {}

  /** A commit failed and the database did not answer: probe until it does. */
  down(error: unknown, backlog: number): void {
    if (this.up) this.logger.error({ err: error, backlog }, 'database unreachable; holding messages');
    this.up = false;
    this.probe ??= setInterval(() => void this.check(), PROBE_MS).unref();
  }

  /** Resolves once the database answers again, or at stop(). */
  untilBack(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    clearInterval(this.probe);
    this.probe = undefined;
    for (const w of this.waiters.splice(0)) w();
  }

  private async check(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    const answered = await this.reachable().finally(() => (this.probing = false));
    if (!answered || !this.probe) return;
    this.stop();
    this.up = true;
    this.logger.info('database reachable again');
    this.onBack();
  }
}
