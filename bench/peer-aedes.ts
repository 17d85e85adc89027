// A plain Aedes 1.2 broker with no platform hooks (no publish middleware, no
// access rules, no packet guard; Aedes' default heartbeat), the baseline the
// platform's broker is compared with. Run by `parking bench`:
//   node --import tsx bench/peer-aedes.ts PORT
// prints "aedes listening mqtt://127.0.0.1:PORT" when it serves.
import net from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2] ?? 0);
const aedes = await Aedes.createBroker();
const server = net.createServer(aedes.handle);
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as net.AddressInfo;
  process.stdout.write(`aedes listening mqtt://127.0.0.1:${address.port}\n`);
});
const stop = () => {
  server.close();
  aedes.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
