/**
 * The stand-in's traffic counters: messages (and bytes) into the broker and out to subscribers,
 * overall, by topic, by topic root (the first level) and by client, plus which clients are connected
 * since when, and a per-second history of the last minutes for rate charts. The web console and the
 * Prometheus metrics read it; the broker's events feed it (attachTraffic). Pure: the clock is passed in.
 */

export interface Count {
  messages: number;
  bytes: number;
}

export interface Flow {
  in: Count;
  out: Count;
}

export interface ClientTraffic extends Flow {
  clientId: string;
  certificateId?: string;
  connected: boolean;
  /** the connection that holds the client id (a takeover's late disconnect of the old one is ignored) */
  session?: string;
  /** epoch ms of the last connect (or disconnect when not connected) */
  since: number;
}

/** One second of traffic: messages in and out, overall and per topic ([in, out]). */
export interface SecondOfTraffic {
  /** epoch seconds */
  t: number;
  in: number;
  out: number;
  topics: Record<string, [number, number]>;
}

export interface TrafficOptions {
  /** epoch ms; default Date.now */
  now?: () => number;
  /** seconds of per-second history kept; default 300 */
  windowSeconds?: number;
  /** distinct topics counted one by one; the rest are counted under OTHER_TOPICS; default 1000 */
  maxTopics?: number;
  /** distinct topic roots counted one by one; the rest are counted under OTHER_ROOTS; default 1000 */
  maxRoots?: number;
  /** distinct client ids remembered; disconnected ones are forgotten first; default 10000 */
  maxClients?: number;
}

/** Where topics past maxTopics are counted, so a stream of unique topics cannot grow memory. */
export const OTHER_TOPICS = '(other topics)';
/** Where roots past maxRoots are counted (a client publishing to many distinct first levels cannot grow memory either). */
export const OTHER_ROOTS = '(other)';

const zero = (): Flow => ({ in: { messages: 0, bytes: 0 }, out: { messages: 0, bytes: 0 } });

function add(flow: Flow, dir: 'in' | 'out', bytes: number): void {
  flow[dir].messages += 1;
  flow[dir].bytes += bytes;
}

/** The first level of a topic (`$aws/things/x/shadow/update` → `$aws`), the label metrics use. */
export function topicRoot(topic: string): string {
  const i = topic.indexOf('/');
  return i < 0 ? topic : topic.slice(0, i);
}

/** What the broker's policies refused, by action (see broker/events.ts PolicyDenial). */
export type Denials = Record<'connect' | 'publish' | 'subscribe' | 'receive', number>;

/** Connections as running totals (the live ones are in clients()). */
export interface ConnectionTotals {
  /** connected now */
  connected: number;
  connects: number;
  disconnects: number;
}

export class Traffic {
  private readonly now: () => number;
  private readonly windowSeconds: number;
  private readonly maxTopics: number;
  private readonly maxRoots: number;
  private readonly maxClients: number;
  private readonly all = zero();
  private readonly byTopic = new Map<string, Flow>();
  private readonly byRoot = new Map<string, Flow>();
  private readonly byClient = new Map<string, ClientTraffic>();
  private readonly history: SecondOfTraffic[] = [];
  private readonly refused: Denials = { connect: 0, publish: 0, subscribe: 0, receive: 0 };
  private readonly conns: ConnectionTotals = { connected: 0, connects: 0, disconnects: 0 };

  constructor(opts: TrafficOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.windowSeconds = opts.windowSeconds ?? 300;
    this.maxTopics = opts.maxTopics ?? 1000;
    this.maxRoots = opts.maxRoots ?? 1000;
    this.maxClients = opts.maxClients ?? 10_000;
  }

  /** A PUBLISH the broker accepted (from a client, or the stand-in's own when clientId is undefined). */
  received(topic: string, bytes: number, clientId?: string): void {
    this.count('in', topic, bytes, clientId);
  }

  /** A message forwarded to a subscriber. */
  delivered(topic: string, bytes: number, clientId: string): void {
    this.count('out', topic, bytes, clientId);
  }

  connected(clientId: string, certificateId?: string, session?: string): void {
    this.conns.connected++;
    this.conns.connects++;
    const c = this.client(clientId);
    c.connected = true;
    c.since = this.now();
    if (certificateId !== undefined) c.certificateId = certificateId;
    if (session !== undefined) c.session = session;
  }

  disconnected(clientId: string, session?: string): void {
    this.conns.connected--;
    this.conns.disconnects++;
    const c = this.byClient.get(clientId);
    if (!c || (session !== undefined && c.session !== undefined && c.session !== session)) return;
    c.connected = false;
    c.since = this.now();
  }

  /** A packet refused by policy, or a message a subscriber was not allowed to receive. */
  denied(action: keyof Denials): void {
    this.refused[action]++;
  }

  denials(): Denials {
    return { ...this.refused };
  }

  connections(): ConnectionTotals {
    return { ...this.conns };
  }

  totals(): Flow {
    return structuredClone(this.all);
  }

  topics(): ({ topic: string } & Flow)[] {
    return [...this.byTopic].map(([topic, f]) => ({ topic, ...structuredClone(f) }));
  }

  roots(): ({ root: string } & Flow)[] {
    return [...this.byRoot].map(([root, f]) => ({ root, ...structuredClone(f) }));
  }

  clients(): ClientTraffic[] {
    return [...this.byClient.values()].map((c) => structuredClone(c));
  }

  clientOf(clientId: string): ClientTraffic | undefined {
    const c = this.byClient.get(clientId);
    return c && structuredClone(c);
  }

  /** The per-second history of the last windowSeconds, oldest first; seconds with no traffic are absent. */
  seconds(): SecondOfTraffic[] {
    this.expire(Math.floor(this.now() / 1000));
    return structuredClone(this.history);
  }

  private count(dir: 'in' | 'out', topic: string, bytes: number, clientId: string | undefined): void {
    add(this.all, dir, bytes);
    const key = this.byTopic.has(topic) || this.byTopic.size < this.maxTopics ? topic : OTHER_TOPICS;
    let t = this.byTopic.get(key);
    if (!t) this.byTopic.set(key, (t = zero()));
    add(t, dir, bytes);
    const root = topicRoot(topic);
    const rootKey = this.byRoot.has(root) || this.byRoot.size < this.maxRoots ? root : OTHER_ROOTS;
    let r = this.byRoot.get(rootKey);
    if (!r) this.byRoot.set(rootKey, (r = zero()));
    add(r, dir, bytes);
    if (clientId !== undefined) add(this.client(clientId), dir, bytes);
    const s = this.second();
    s[dir] += 1;
    const pair = (s.topics[key] ??= [0, 0]);
    pair[dir === 'in' ? 0 : 1] += 1;
  }

  private client(clientId: string): ClientTraffic {
    let c = this.byClient.get(clientId);
    if (c) return c;
    if (this.byClient.size >= this.maxClients) this.forgetOne();
    c = { clientId, connected: false, since: this.now(), ...zero() };
    this.byClient.set(clientId, c);
    return c;
  }

  /** Makes room: the oldest disconnected client, else the oldest one. */
  private forgetOne(): void {
    for (const [id, c] of this.byClient) {
      if (!c.connected) {
        this.byClient.delete(id);
        return;
      }
    }
    const first = this.byClient.keys().next();
    if (!first.done) this.byClient.delete(first.value);
  }

  private second(): SecondOfTraffic {
    const t = Math.floor(this.now() / 1000);
    const last = this.history[this.history.length - 1];
    if (last && last.t === t) return last;
    this.expire(t);
    const s: SecondOfTraffic = { t, in: 0, out: 0, topics: {} };
    this.history.push(s);
    return s;
  }

  private expire(t: number): void {
    let drop = 0;
    while (drop < this.history.length && this.history[drop]!.t <= t - this.windowSeconds) drop += 1;
    if (drop > 0) this.history.splice(0, drop);
  }
}

/** What attachTraffic listens to: the broker's events (see broker/events.ts). */
export interface TrafficSource {
  on(name: 'publish', fn: (e: { topic: string; payload: { length: number }; client?: { clientId: string } }) => void): () => void;
  on(name: 'deliver', fn: (e: { topic: string; bytes: number; clientId: string }) => void): () => void;
  on(name: 'connect', fn: (e: { clientId: string; certificateId: string; sessionIdentifier: string }) => void): () => void;
  on(name: 'disconnect', fn: (e: { clientId: string; sessionIdentifier: string }) => void): () => void;
  on(name: 'denied', fn: (e: { action: keyof Denials }) => void): () => void;
}

/** Feeds `traffic` from the broker's events; returns the function that stops it. */
export function attachTraffic(traffic: Traffic, events: TrafficSource): () => void {
  const offs = [
    events.on('publish', (e) => traffic.received(e.topic, e.payload.length, e.client?.clientId)),
    events.on('deliver', (e) => traffic.delivered(e.topic, e.bytes, e.clientId)),
    events.on('connect', (e) => traffic.connected(e.clientId, e.certificateId, e.sessionIdentifier)),
    events.on('disconnect', (e) => traffic.disconnected(e.clientId, e.sessionIdentifier)),
    events.on('denied', (e) => traffic.denied(e.action)),
  ];
  return () => {
    for (const off of offs) off();
  };
}
