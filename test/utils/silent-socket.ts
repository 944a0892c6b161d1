// A WebSocket upgrade done by hand that then sends nothing: the hostile client of issue 12 that
// never sends connection_init, for the live-limits test and bench/hostile.ts.
import { connect, type Socket } from 'node:net';
import { leave } from './leftovers.js';

/**
 * A WebSocket upgrade done by hand that then says nothing and answers nothing — not even the
 * server's close frame. `closed` resolves with the close code the server sent, once it cut the socket.
 */
export function silentSocket(port: number, path: string): Promise<{ closed: Promise<number | undefined> }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    leave(() => void socket.destroy());
    let received = Buffer.alloc(0);
    let upgraded = false;
    const closed = new Promise<number | undefined>((done) =>
      socket.once('close', () => {
        const frame = received.subarray(received.indexOf('\r\n\r\n') + 4);
        done(frame[0] === 0x88 && frame.length >= 4 ? frame.readUInt16BE(2) : undefined);
      }),
    );
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded && received.includes('\r\n\r\n')) {
        upgraded = true;
        const status = received.subarray(0, 12).toString();
        if (status.endsWith('101')) resolve({ closed });
        else reject(new Error(`upgrade refused: ${status}`));
      }
    });
    socket.on('error', reject);
    socket.write(
      [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Protocol: graphql-transport-ws',
        '',
        '',
      ].join('\r\n'),
    );
  });
}
