import { useEffect, useState } from 'preact/hooks';
import type { ConsoleView, SecondOfTraffic } from './types';

/** The stand-in's `view` and `rate` events (GET /console/events), kept as Preact state. */
export interface Live {
  view?: ConsoleView;
  seconds: SecondOfTraffic[];
  connected: boolean;
}

/** Seconds of rate history kept in the page. */
const KEEP_SECONDS = 300;

export function mergeSeconds(old: SecondOfTraffic[], fresh: SecondOfTraffic[]): SecondOfTraffic[] {
  const byT = new Map(old.map((s) => [s.t, s]));
  for (const s of fresh) byT.set(s.t, s);
  const all = [...byT.values()].sort((a, b) => a.t - b.t);
  const newest = all[all.length - 1]?.t ?? 0;
  return all.filter((s) => s.t > newest - KEEP_SECONDS);
}

export function useLive(): Live {
  const [live, setLive] = useState<Live>({ seconds: [], connected: false });
  useEffect(() => {
    const es = new EventSource('/console/events');
    es.addEventListener('open', () => setLive((l) => ({ ...l, connected: true })));
    es.addEventListener('error', () => setLive((l) => ({ ...l, connected: false })));
    es.addEventListener('view', (e) => {
      const view = JSON.parse((e as MessageEvent<string>).data) as ConsoleView;
      setLive((l) => ({ ...l, view, connected: true }));
    });
    es.addEventListener('rate', (e) => {
      const { seconds } = JSON.parse((e as MessageEvent<string>).data) as { seconds: SecondOfTraffic[] };
      setLive((l) => ({ ...l, seconds: mergeSeconds(l.seconds, seconds) }));
    });
    return () => es.close();
  }, []);
  return live;
}

export function when(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

export function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
