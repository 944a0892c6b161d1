// fanout_ceiling's server: a bare `ws` server in its own process that does the least a fan-out
// can do — per message, one pre-serialised graphql-ws `next` frame sent to every socket — so the
// service's fan-out can be compared with it. It answers connection_init like graphql-ws so the
// same client process (bench/clients.ts) talks to both.
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => {
    if (data.includes('connection_init')) ws.send('{"type":"connection_ack"}');
  });
});

process.on('message', async (cmd: { cmd: 'send'; messages: number }) => {
  for (let i = 0; i < cmd.messages; i++) {
    // The shape the service sends for `logs { id timestamp }`; timestamp = now, as the publisher stamps it.
    const frame = Buffer.from(JSON.stringify({ id: '1', type: 'next', payload: { data: { logs: { id: String(i + 1), timestamp: new Date().toISOString() } } } }));
    for (const ws of wss.clients) ws.send(frame, { binary: false }); // a text frame, bytes encoded once
    await yieldLoop(); // let the sockets write between messages, as the service's pipeline does
  }
  process.send!({ sent: cmd.messages });
});

wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
process.on('disconnect', () => process.exit(0)); // the bench ended: do not outlive it
