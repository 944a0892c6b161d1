// Database reachability for /readyz, checked on a timer so readiness is true also when no
// message has arrived to discover an outage (the writer reports its own failures as well).
import type { MikroORM } from '@mikro-orm/postgresql';

const PING_EVERY_MS = 2_000;

export class DatabaseHealth {
  up = true;
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly orm: MikroORM) {
    this.timer = setInterval(() => void this.ping(), PING_EVERY_MS).unref();
  }

  async ping(): Promise<boolean> {
    if (this.busy) return this.up;
    this.busy = true;
    try {
      await this.orm.em.fork().getConnection().execute('select 1');
      this.up = true;
    } catch {
      this.up = false;
    } finally {
      this.busy = false;
    }
    return this.up;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
