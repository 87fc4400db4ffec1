import type { ReportModel } from './model.js';

/**
 * `elf subscribe --report`: what arrived, second by second (wall clock) and by topic. One counter
 * increment per message; topics counted one by one up to MAX_TOPICS, the rest together.
 */
export const MAX_TOPICS = 1000;
const OTHER = '(other topics)';

export class Arrivals {
  private startSec: number | undefined;
  private readonly perSecond: number[] = [];
  private readonly topics = new Map<string, number>();

  add(topic: string, epochMs: number): void {
    const sec = Math.floor(epochMs / 1000);
    this.startSec ??= sec;
    const i = Math.max(0, sec - this.startSec);
    while (this.perSecond.length <= i) this.perSecond.push(0);
    this.perSecond[i]!++;
    const key = this.topics.has(topic) || this.topics.size < MAX_TOPICS ? topic : OTHER;
    this.topics.set(key, (this.topics.get(key) ?? 0) + 1);
  }

  series(): { x: number[]; counts: number[] } {
    const start = this.startSec ?? 0;
    return { x: this.perSecond.map((_, i) => start + i), counts: [...this.perSecond] };
  }

  byTopic(): Array<[string, number]> {
    return [...this.topics].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }
}

export interface SubscribeReportInput {
  arrivals: Arrivals;
  received: number;
  elapsedMs: number;
  stopReason: string;
  startedAt: number;
  target: string;
  params: Array<[string, string]>;
}

/** Pure (given the arrivals): the subscription's report. */
export function subscribeReportModel(input: SubscribeReportInput): ReportModel {
  const { x, counts } = input.arrivals.series();
  const topics = input.arrivals.byTopic();
  const secs = input.elapsedMs / 1000;
  return {
    title: 'elf subscribe: run report',
    subtitle: `${input.target}, started ${new Date(input.startedAt).toISOString()}`,
    params: input.params,
    figures: [
      ['messages', input.received.toLocaleString('en-US')],
      ['rate', `${secs > 0 ? Math.round((input.received / secs) * 10) / 10 : 0} msg/s over ${secs.toFixed(1)} s`],
      ['stopped by', input.stopReason],
      ['topics', topics.length.toLocaleString('en-US')],
    ],
    charts: x.length > 0 ? [{ id: 'received', title: 'Messages received per second', unit: 'msg/s', x, time: true, series: [{ label: 'received', values: counts, color: '#59a14f' }] }] : [],
    tables: [
      {
        title: 'Messages by topic',
        columns: ['topic', 'messages'],
        rows: topics.slice(0, 50).map(([t, n]) => [t, n.toLocaleString('en-US')]),
        ...(topics.length > 50 ? { note: `the 50 busiest of ${topics.length} topics` } : {}),
      },
    ],
  };
}
