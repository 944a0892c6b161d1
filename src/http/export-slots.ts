// How many exports run at once, in all and per client. Each may hold a database connection and
// a socket for minutes, so the total is small; the per-client share keeps one client (one token
// subject, or one address) from taking every slot and answering everybody else 503.

export interface ExportSlotLimits {
  /** Exports at once in all (EXPORT_MAX_CONCURRENT); more → 503. */
  maxConcurrent: number;
  /** Exports at once per client (EXPORT_MAX_PER_CLIENT); more → 429. */
  maxPerClient: number;
}

export type SlotAdmission =
  | { ok: true; release: () => void }
  | { ok: false; status: 429 | 503; message: string };

export class ExportSlots {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(private readonly limits: ExportSlotLimits) {}

  get running(): number {
    return this.total;
  }

  /** A slot for `client`, or why not. `release` (idempotent) must run when the export ends. */
  admit(client: string): SlotAdmission {
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.limits.maxPerClient) {
      return { ok: false, status: 429, message: `this client already runs ${mine} exports (EXPORT_MAX_PER_CLIENT); try again when one ends` };
    }
    if (this.total >= this.limits.maxConcurrent) {
      return { ok: false, status: 503, message: `${this.limits.maxConcurrent} exports are already running; try again later` };
    }
    this.total++;
    this.perClient.set(client, mine + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
    };
    return { ok: true, release };
  }
}
