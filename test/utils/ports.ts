import { connect } from 'node:net';

/** Resolves once something accepts connections on 127.0.0.1:port (a broker or Redis we started). */
export async function waitForPort(port: number, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not start on port ${port}`);
}
