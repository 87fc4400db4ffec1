import type { Logger } from '../log.js';
import type { Connector, Protocol, QoS } from '../mqtt/index.js';
import type { Source } from '../source/types.js';
import type { Clock } from '../util/clock.js';
import type { FleetMetrics } from './fleet-metrics.js';
import type { Progress } from './summary.js';

export interface SendDevice {
  name: string;
  certPath: string;
  keyPath: string;
  /** the thing's place in the fleet (default: its place in `devices`): templates read it, it seeds its generator */
  index?: number;
}

export interface SendOptions {
  devices: SendDevice[];
  host: string;
  port: number;
  /** trusted CA (PEM file); system trust store when absent */
  caFile?: string;
  protocol: Protocol;
  qos: QoS;
  /** default 'elf' */
  topic?: string;
  /** publish to <topic>/<thing> */
  appendThingName?: boolean;
  /** seconds between two messages of one thing (default 1); 0 = as fast as possible */
  interval?: number;
  /** seconds the schedule runs; undefined = until count / end of input / abort */
  duration?: number;
  /** messages per thing */
  count?: number;
  /** start the input over at its end (default true; ignored with partition) */
  loop?: boolean;
  /** deal the lines out: line i goes to thing i mod N, each line sent once (no loop) */
  partition?: boolean;
  /** field names added to JSON object payloads */
  addTimestamp?: string;
  addThingName?: string;
  /** a payload template (`--template`): its file name (for errors) and text */
  template?: { file: string; text: string };
  /** a scenario script (`--scenario`): its file as the user named it */
  scenario?: { file: string };
  /** the fleet's topic root (its policy allows <root> and <root>/*): topics a scenario makes are checked against it */
  policyRoot?: string;
  /** --strict: a message the scenario fails on stops the run (default: skipped and counted) */
  strict?: boolean;
  /** --replay-time: lines sent at their own times (fields, speed) from the data's first time (origin, epoch ms) */
  replay?: { fields: string[]; speed: number; origin: number };
  /** every n-th message of a thing also updates its classic shadow's reported state */
  shadowEvery?: number;
  /** the seed of every random value of templates and scenarios */
  seed?: number;
  /** new connections per second (default 100; AWS allows 500/s per account) */
  connectRate?: number;
  /** AWS IoT Core limits: ≤100 publishes/s per connection, 128 KB payloads, SDK metrics */
  awsLimits?: boolean;
  /** most outstanding publishes per connection (default 1000) */
  window?: number;
  /** bounded wait for outstanding acknowledgements at the end (default 10 s) */
  drainTimeoutMs?: number;
  /**
   * When no connection has been up for this long (the broker never answered, or went away and
   * never came back) the run ends with an error (default 30 s).
   */
  giveUpAfterMs?: number;
  keepAliveSeconds?: number;
  /** reconnect backoff bounds (defaults 1 s .. 30 s) */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** keep the run second by second (timeline.ts) and put it in the summary (`--report`) */
  timeline?: boolean;
  /** ms between onProgress calls (default 1000) */
  progressIntervalMs?: number;
}

export interface SendDeps {
  source: Source;
  logger: Logger;
  clock?: Clock;
  /** Ctrl-C: stops the schedule, drains (bounded), disconnects, returns the summary */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** called once as the run starts, with a reader of its figures (for live metrics; read on demand) */
  onMetrics?: (read: () => FleetMetrics) => void;
  connector?: Connector;
}
