// [MQTT-3.1.3-8]: a client that sends an empty client id must ask for a clean session
// (CleanSession=1); otherwise the server answers CONNACK 0x02 (identifier rejected) and
// closes the connection. Aedes accepts such a client and names it itself, so the rule is
// added here: `preConnect` notes the client, and `authenticate` refuses it with return
// code 2, which Aedes sends before it closes (as it does for a bad password).
import type { AedesOptions, Client } from 'aedes';

type Authenticate = NonNullable<AedesOptions['authenticate']>;
type PreConnect = NonNullable<AedesOptions['preConnect']>;

export class IdentifierRejected extends Error {
  readonly returnCode = 2;
  constructor() {
    super('identifier rejected: an empty client id needs CleanSession=1 [MQTT-3.1.3-8]');
  }
}

/** `preConnect` and `authenticate` hooks that enforce [MQTT-3.1.3-8] around `authenticate`. */
export function requireClientIdForSessions(authenticate: Authenticate): { preConnect: PreConnect; authenticate: Authenticate } {
  const rejected = new WeakSet<Client>();
  return {
    preConnect(client, packet, done) {
      if (!packet.clientId && packet.clean === false) rejected.add(client);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      if (rejected.has(client)) return done(new IdentifierRejected() as never, false);
      authenticate(client, username, password, done);
    },
  };
}
