import type { Connector, DeviceConnection } from '../mqtt/index.js';
import { runDevice, type DeviceEnd } from './device.js';
import { thingConnected, trackConnection } from './health.js';
import type { RunState } from './run-state.js';
import { ThingTraffic } from '../traffic/traffic.js';
import { ThingReplay } from '../traffic/replay.js';

/**
 * Thing k: its own connection (its own certificate), then its publishing loop from the first
 * CONNACK. `handshakeDone` is called when the first connect ends either way (the ramp bounds the
 * handshakes in flight). Resolves when the thing's loop has ended; never rejects.
 */
export function startThing(run: RunState, k: number, connector: Connector, handshakeDone: () => void): Promise<void> {
  const { opts } = run;
  const d = opts.devices[k]!;
  const stop = run.thingStop();
  const conn = connector.create({
    host: opts.host,
    port: opts.port,
    clientId: d.name,
    cert: { path: d.certPath },
    key: { path: d.keyPath },
    caFile: opts.caFile,
    protocol: opts.protocol,
    awsLimits: opts.awsLimits ?? false,
    keepAliveSeconds: opts.keepAliveSeconds,
    reconnectMinMs: opts.reconnectMinMs,
    reconnectMaxMs: opts.reconnectMaxMs,
    // one native callback less per connection (src/mqtt/crt-binding.ts)
    publishOnly: true,
  });
  run.conns[k] = conn;
  conn.on((e) => trackConnection(run, k, e));
  const t0 = run.clock.now();
  run.stats[k]!.connectAttempts++;
  return conn.connect(stop).then(
    async () => {
      thingConnected(run, k, run.clock.now() - t0);
      handshakeDone();
      run.firstSendMs ??= run.clock.now();
      run.ends.push(await publishLoop(run, k, conn, stop));
    },
    () => {
      // stopped before it ever connected
      handshakeDone();
      run.readers[k]!.close();
      run.ends.push('stopped');
    },
  );
}

async function publishLoop(run: RunState, k: number, conn: DeviceConnection, stop: AbortSignal): Promise<DeviceEnd> {
  const { opts, settings } = run;
  const d = opts.devices[k]!;
  const name = d.name;
  const topic = opts.appendThingName ? `${settings.topicRoot}/${name}` : settings.topicRoot;
  try {
    return await runDevice({
      k,
      conn,
      reader: run.readers[k]!,
      spec: run.spec,
      stats: run.stats[k]!,
      clock: run.clock,
      pacer: run.pacer,
      topic,
      qos: settings.qos,
      count: opts.count,
      window: settings.window,
      payload: { addTimestamp: opts.addTimestamp, addThingName: opts.addThingName },
      ...(run.traffic ? { traffic: new ThingTraffic(run.traffic, d.index ?? k, name, topic) } : {}),
      ...(run.replay ? { replay: new ThingReplay(run.replay) } : {}),
      ...(opts.shadowEvery !== undefined ? { shadowEvery: opts.shadowEvery } : {}),
      awsLimits: opts.awsLimits ?? false,
      stop,
      ...(run.timeline ? { timeline: run.timeline } : {}),
      onSettled: () => {
        run.lastSettleMs = run.clock.now();
      },
    });
  } catch (e) {
    // the source failed (a bad line with --strict, a read error): every thing stops, the summary says why
    run.halt('input-error', e instanceof Error ? e.message : String(e));
    return 'stopped';
  }
}
