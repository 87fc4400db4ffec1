import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { MQTT_ALPN_PROTOCOL } from '../../aws/limits.js';
import type { Logger } from '../../log.js';

/**
 * The broker's TLS listeners: mutual TLS with the stand-in's CA (a client without a certificate from
 * it fails the handshake), on one host and, for 127.0.0.1, on ::1 as well. They hand each socket whose
 * handshake finished to `onSecureConnection`; the MQTT side never opens a socket itself. `trust` adds
 * the certificates the registry vouches for (registered CAs, certificates registered without a CA).
 */

export interface ListenerOptions {
  host: string;
  /** 0 for any free port */
  port: number;
  ca: { certPem: string };
  server: { certPem: string; keyPem: string };
  /** a TLS handshake not finished after this long is dropped */
  handshakeTimeoutMs: number;
  log: Logger;
  onSecureConnection(socket: tls.TLSSocket): void;
}

export interface Listeners {
  port: number;
  /** the addresses actually listened on */
  hosts: string[];
  /** trust these certificates (PEM) too, from the next handshake on, besides the stand-in's CA */
  trust(extra: readonly string[]): void;
  /** stop listening and destroy every socket still open */
  close(): Promise<void>;
}

const ALPN_ACCEPTED = [MQTT_ALPN_PROTOCOL, 'mqtt'];

function listen(server: tls.Server, host: string, port: number, log: Logger): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      server.on('error', (err) => log.error({ err: err.message }, 'broker listener error'));
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The members of TlsOptions that make the server's secure context. */
function secureContextOptions(o: tls.TlsOptions): tls.SecureContextOptions {
  return { key: o.key, cert: o.cert, ca: o.ca, minVersion: o.minVersion };
}

/**
 * Swap the context new handshakes use. A certificate registered without a CA (RegisterCertificateWithoutCA)
 * is trusted as itself, which needs OpenSSL's partial-chain flag (`allowPartialTrustChain`, Node
 * >= 20.18); `server.setSecureContext` does not pass that flag on in Node 20 or 22, so the context
 * made with it is put where tls.Server keeps its own (`_sharedCreds`, read at every new connection).
 */
function useContext(server: tls.Server, context: tls.SecureContext): void {
  const internal = server as unknown as { _sharedCreds?: tls.SecureContext };
  if (internal._sharedCreds === undefined) throw new Error('tls.Server has no _sharedCreds: this Node cannot swap the broker trust store');
  internal._sharedCreds = context;
}

export async function startListeners(opts: ListenerOptions): Promise<Listeners> {
  const { log } = opts;
  const sockets = new Set<Socket>();
  const tlsOptions: tls.TlsOptions = {
    key: opts.server.keyPem,
    cert: opts.server.certPem,
    ca: [opts.ca.certPem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    handshakeTimeout: opts.handshakeTimeoutMs,
    // the device SDK offers ALPN x-amzn-mqtt-ca (AWS's port-443 scheme); clients offering no ALPN are not asked
    ALPNCallback: ({ protocols }) => protocols.find((p) => ALPN_ACCEPTED.includes(p)),
  };
  const makeServer = (): tls.Server => {
    const server = tls.createServer(tlsOptions, (socket) => {
      socket.on('error', (err) => log.debug({ err: err.message }, 'socket error'));
      opts.onSecureConnection(socket);
    });
    server.on('connection', (raw: Socket) => {
      sockets.add(raw);
      raw.once('close', () => sockets.delete(raw));
    });
    // no certificate, a foreign CA, garbage bytes, a peer gone mid-handshake: log quietly and carry on
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      log.debug({ err: err.message }, 'TLS handshake failed');
      socket.destroy();
    });
    return server;
  };

  const servers: tls.Server[] = [];
  const hosts: string[] = [];
  const primaryHost = opts.host === 'localhost' ? '127.0.0.1' : opts.host;
  const primary = makeServer();
  const port = await listen(primary, primaryHost, opts.port, log);
  servers.push(primary);
  hosts.push(primaryHost);
  if (primaryHost === '127.0.0.1') {
    // clients that dial `localhost` may try ::1 first (the CRT resolves AAAA too, docs/aws-iot-facts.md#device-sdk-connections)
    const v6 = makeServer();
    try {
      await listen(v6, '::1', port, log);
      servers.push(v6);
      hosts.push('::1');
    } catch (e) {
      log.debug({ err: (e as Error).message }, 'not listening on ::1');
    }
  }
  return {
    port,
    hosts,
    trust(extra) {
      const context = tls.createSecureContext({ ...secureContextOptions(tlsOptions), ca: [opts.ca.certPem, ...extra], allowPartialTrustChain: extra.length > 0 });
      for (const s of servers) useContext(s, context);
    },
    async close() {
      const stopped = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const s of sockets) s.destroy();
      await Promise.all(stopped);
    },
  };
}
