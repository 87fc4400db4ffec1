import { createHash, randomUUID } from 'node:crypto';
import type tls from 'node:tls';
import type { Client } from 'aedes';
import type { Logger } from '../../log.js';
import type { BrokerAuthority } from '../authority.js';
import type { PolicyContext, PolicyDocument } from '../policy.js';

/**
 * Who is on each TLS connection: the certificate it presented (accepted only when registered and
 * ACTIVE), the policy context of its client id, and the authorization state authorize.ts keeps for it.
 * Connections are found by socket (aedes gives each client its socket as `client.conn`) and by
 * certificate (to close or re-check them when the registry changes that certificate).
 */

/** What is known about one TLS connection once its certificate has been accepted. */
export interface Session {
  socket: tls.TLSSocket;
  certificateId: string;
  certificateArn: string;
  /** the remote address as AWS's lifecycle events report it */
  ipAddress: string | undefined;
  ctx: PolicyContext;
  /** parsed policies, loaded lazily and dropped when the authority says they changed */
  policies?: PolicyDocument[];
  /** action + resource → allowed, for Receive checks at message rate */
  decisions: Map<string, boolean>;
  /** the certificate stopped being ACTIVE or was deleted: nothing more is allowed */
  revoked: boolean;
  /** unique for the life of this connection (AWS's lifecycle events call it sessionIdentifier) */
  sessionIdentifier: string;
  /** the client id this connection holds once its CONNECT was accepted */
  clientId?: string;
  /** why the connection ended, once that is known (the first reason recorded wins) */
  disconnectReason?: DisconnectReason;
}

/**
 * Why a connection ended, in the words of AWS's disconnect lifecycle events
 * (https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html#connect-disconnect).
 */
export type DisconnectReason =
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'AUTH_ERROR'
  | 'CLIENT_ERROR'
  | 'CONNECTION_LOST'
  | 'DUPLICATE_CLIENTID'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'SERVER_INITIATED_DISCONNECT';

/** Record why a connection is ending, unless a reason is already known. */
export function noteDisconnect(s: Session | undefined, reason: DisconnectReason): void {
  if (s && s.disconnectReason === undefined) s.disconnectReason = reason;
}

export class Sessions {
  private readonly bySocket = new WeakMap<object, Session>();
  private readonly byCertificate = new Map<string, Set<Session>>();
  private readonly byClientId = new Map<string, Session>();

  constructor(
    private readonly authority: BrokerAuthority,
    private readonly log: Logger,
  ) {}

  /**
   * A session for a socket whose TLS handshake has finished, or undefined (and the socket destroyed)
   * when its certificate is missing, not registered or not ACTIVE.
   */
  accept(socket: tls.TLSSocket): Session | undefined {
    const peer = socket.getPeerCertificate(true);
    if (!peer || !peer.raw) {
      socket.destroy();
      return undefined;
    }
    const certificateId = createHash('sha256').update(peer.raw).digest('hex');
    const cert = this.authority.certificate(certificateId);
    if (!cert || cert.status !== 'ACTIVE') {
      // AWS fails the TLS handshake for these; Node has no hook inside the handshake, so close right after it
      this.log.info({ certificateId }, `connection refused: certificate is ${cert ? cert.status : 'not registered'}`);
      socket.destroy();
      return undefined;
    }
    const session: Session = {
      socket,
      certificateId,
      certificateArn: cert.certificateArn,
      ipAddress: socket.remoteAddress,
      ctx: { certificateId },
      decisions: new Map(),
      revoked: false,
      sessionIdentifier: randomUUID(),
    };
    this.bySocket.set(socket, session);
    let set = this.byCertificate.get(certificateId);
    if (!set) this.byCertificate.set(certificateId, (set = new Set()));
    set.add(session);
    socket.once('close', () => {
      const live = this.byCertificate.get(certificateId);
      live?.delete(session);
      if (live?.size === 0) this.byCertificate.delete(certificateId);
      if (session.clientId !== undefined && this.byClientId.get(session.clientId) === session) this.byClientId.delete(session.clientId);
    });
    return session;
  }

  /** A CONNECT was accepted: the session now holds `clientId`, and an older connection holding it is being taken over. */
  claim(s: Session, clientId: string): void {
    const previous = this.byClientId.get(clientId);
    if (previous && previous !== s) noteDisconnect(previous, 'DUPLICATE_CLIENTID');
    s.clientId = clientId;
    this.byClientId.set(clientId, s);
  }

  /** Every session still open (for shutting down). */
  *all(): Iterable<Session> {
    for (const set of this.byCertificate.values()) yield* set;
  }

  /** The session of an aedes client (its `conn` is the TLS socket). */
  of(client: Client | null | undefined): Session | undefined {
    return client ? this.bySocket.get(client.conn) : undefined;
  }

  /**
   * Follow the registry: a certificate that stops being ACTIVE (or is deleted) closes its connections;
   * one whose policies or things change has its sessions re-checked through `refresh` (AWS applies
   * such changes within minutes, the stand-in at once). Returns an unsubscribe.
   */
  watch(refresh: (s: Session) => void): () => void {
    return this.authority.onCertificateChange((certificateId) => {
      const live = this.byCertificate.get(certificateId);
      if (!live) return;
      const cert = this.authority.certificate(certificateId);
      for (const s of live) {
        if (!cert || cert.status !== 'ACTIVE') {
          s.revoked = true;
          noteDisconnect(s, 'AUTH_ERROR');
          this.log.info({ certificateId, clientId: s.ctx.clientId }, `closing the connection: certificate is ${cert ? cert.status : 'deleted'}`);
          s.socket.destroy();
        } else {
          refresh(s);
        }
      }
    });
  }
}
