import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startViewFeed } from '../../src/local/console/feed.js';
import type { SseStream } from '../../src/local/console/stream.js';
import type { ConsoleView } from '../../src/local/console/wire.js';
import { Registry } from '../../src/local/registry/index.js';
import { ShadowService } from '../../src/local/shadow.js';
import { Traffic } from '../../src/local/traffic.js';
import { eventually } from '../helpers/poll.js';

/** The console's view feed: a registry change is pushed at once; the registry is not read again without one. */

let server: Server | undefined;
let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
});

/** A feed over a real SSE response; the views the client received, in order. */
async function feed(registry: Registry, viewCheckMs: number, traffic = new Traffic()) {
  const streams = new Set<SseStream>();
  const f = startViewFeed({ registry, traffic, shadows: new ShadowService(), viewCheckMs }, streams);
  stop = f.stop;
  server = createServer((_req, res) => f.open(res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const views: ConsoleView[] = [];
  void (async () => {
    let buffer = '';
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (/^event: view$/m.test(block)) views.push(JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as ConsoleView);
      }
    }
  })().catch(() => undefined);
  return views;
}

describe('the console view feed', () => {
  it('pushes a registry change without waiting for the counters check', async () => {
    const registry = new Registry({ region: 'us-east-1', account: '123456789012' });
    // the counters are checked once an hour: only the change itself can push the view
    const views = await feed(registry, 3_600_000);
    await eventually(() => views.length === 1, 'the first view');
    registry.createThing({ thingName: 'thing_0' });
    registry.createThing({ thingName: 'thing_1' });
    await eventually(() => views.at(-1)?.things.length === 2, () => `a view with both things; got ${JSON.stringify(views.map((v) => v.things.map((t) => t.thingName)))}`);
    // both made in one turn: one view, not one per change
    expect(views.map((v) => v.things.length)).toEqual([0, 2]);
  });

  it('reads the registry again only after it changed', async () => {
    const registry = new Registry({ region: 'us-east-1', account: '123456789012' });
    let reads = 0;
    const snapshot = registry.snapshot.bind(registry);
    registry.snapshot = () => {
      reads++;
      return snapshot();
    };
    const traffic = new Traffic();
    let checks = 0;
    const clients = traffic.clients.bind(traffic);
    traffic.clients = () => {
      checks++;
      return clients();
    };
    const views = await feed(registry, 5, traffic);
    await eventually(() => views.length === 1, 'the first view');
    const before = reads;
    const checked = checks;
    // ten counter checks go by
    await eventually(() => checks >= checked + 10, 'ten counter checks');
    expect(reads).toBe(before);
    registry.createThing({ thingName: 'thing_0' });
    await eventually(() => views.at(-1)?.things.length === 1, 'the new thing');
    expect(reads).toBe(before + 1);
  });
});
