import type { SourceFormat } from '../../source/file.js';
import type { SendDevice, SendOptions } from '../run.js';
import type { FleetMetrics } from '../fleet-metrics.js';
import type { Progress, SendSummary } from '../summary.js';
import type { SubscribeFleetOptions, SubscribeFleetResult } from '../subscribe-fleet.js';

/**
 * The messages between `elf send --workers N` (the parent) and its worker processes, over the IPC
 * channel of child_process.fork. Plain JSON: a worker gets its job, sends progress every second and
 * its summary (with its latency histogram) at the end; the parent may tell it to stop (Ctrl-C).
 */

/** What a worker reads: each worker opens the input itself (memory stays bounded per worker). */
export type SourceSpec = { kind: 'message'; text: string } | { kind: 'file'; path: string; format: SourceFormat; strict: boolean; maxPayloadBytes: number };

export interface WorkerJob {
  worker: number;
  options: Omit<SendOptions, 'devices'>;
  devices: SendDevice[];
  source: SourceSpec;
  /** --partition: the fleet positions of `devices` and the size of the whole fleet */
  partition?: { positions: number[]; fleetSize: number };
  /** young generation cap in MB (see young-generation.ts), for small slices */
  youngGenerationMb?: number;
  /** the parent serves live metrics: send the slice's figures with each progress message */
  metrics?: boolean;
}

/** `elf subscribe --workers N`: a worker's things listen; the parent counts, prints and stops them. */
export interface SubscribeJob {
  worker: number;
  options: SubscribeFleetOptions;
}

/** messages that arrived at a worker's things, in order: [thing, topic, payload as UTF-8] */
export type Arrived = [thing: string, topic: string, payload: string];

export type ToWorker = { type: 'job'; job: WorkerJob } | { type: 'subscribe'; job: SubscribeJob } | { type: 'stop' };

export type FromWorker =
  | { type: 'progress'; progress: Progress; metrics?: FleetMetrics }
  | { type: 'done'; summary: SendSummary }
  | { type: 'error'; message: string }
  | { type: 'ready'; subscribed: number }
  | { type: 'messages'; batch: Arrived[] }
  | { type: 'subscribed'; result: SubscribeFleetResult };
