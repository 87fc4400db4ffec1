import type { ConnectionEvent } from '../mqtt/index.js';
import type { RunState } from './run-state.js';
import { publishRefusedMessage, TakeoverWatch, takeoverMessage } from './takeover.js';

/** Counts what happens to thing k's connection: its stats and the fleet's health. */
export function trackConnection(run: RunState, k: number, e: ConnectionEvent): void {
  const st = run.stats[k]!;
  const h = run.health;
  const thing = st.name;
  let takeover = h.takeover.get(k);
  if (!takeover) h.takeover.set(k, (takeover = new TakeoverWatch()));
  switch (e.type) {
    case 'connected':
    case 'resumed':
      st.connected = true;
      takeover.connected(run.clock.now(), { sent: st.sent, answered: st.acked + st.failed });
      if (e.type === 'resumed') run.timeline?.resumed(run.clock.now());
      h.connectedNow++;
      if (e.type === 'resumed') {
        st.reconnects++;
        run.log.debug({ thing, sessionPresent: e.sessionPresent }, 'reconnected');
      }
      break;
    case 'interrupted':
      st.connected = false;
      st.interruptions++;
      run.timeline?.dropped(run.clock.now());
      if (run.settings.qos === 1) st.maybeDuplicated += Math.max(0, st.sent - st.acked - st.failed);
      h.connectedNow--;
      if (h.connectedNow === 0) h.lastUpMs = run.clock.now();
      h.lastInterruptError = e.error;
      switch (takeover.interrupted(run.clock.now(), { sent: st.sent, answered: st.acked + st.failed, notAuthorized: e.notAuthorized === true })) {
        case 'takeover':
          h.takenOver.push(thing);
          break;
        case 'publish-refused':
          h.publishRefused.push(thing);
      }
      run.log.debug({ thing, error: e.error }, 'connection interrupted; reconnecting');
      break;
    case 'failed':
      st.connectAttempts++;
      st.lastError = e.error;
      h.lastConnError = e.error;
      if (e.refused) h.refused.add(k);
      if (e.attempt === 1 || e.attempt % 10 === 0) run.log.warn({ thing, attempt: e.attempt, error: e.error }, 'connection attempt failed');
      break;
  }
}

/** Thing k's first CONNACK, `connectMs` after its first attempt. */
export function thingConnected(run: RunState, k: number, connectMs: number): void {
  run.stats[k]!.connectMs = connectMs;
  run.timeline?.connected(run.clock.now());
  const h = run.health;
  h.refused.delete(k);
  h.everConnected++;
  if (h.everConnected === run.settings.things) h.allConnectedMs = run.clock.now() - run.startMs;
}

/**
 * One look at the fleet's connections (the run's watch calls it a few times a second): one log line
 * for the interruptions since the last look, not one per connection (10,000 things, one broker
 * restart), and the end of the run when no connection has been up for `giveUpAfterMs`, or at once
 * when none is up and the broker refused the CONNECT of every thing that never connected.
 */
export function checkHealth(run: RunState): void {
  const now = run.clock.now();
  const h = run.health;
  let interruptions = 0;
  for (const s of run.stats) interruptions += s.interruptions;
  if (interruptions > h.reportedInterruptions) {
    run.log.warn({ interrupted: interruptions - h.reportedInterruptions, connected: h.connectedNow, error: h.lastInterruptError }, 'connections interrupted; reconnecting');
    h.reportedInterruptions = interruptions;
  }
  if (h.takenOver.length > 0) run.log.warn(takeoverMessage(h.takenOver.splice(0)));
  if (h.publishRefused.length > 0) run.log.warn(publishRefusedMessage(h.publishRefused.splice(0)));
  if (h.connectedNow > 0) h.lastUpMs = now;
  else if (!run.stop.aborted && h.refused.size > 0 && h.refused.size + h.everConnected >= run.settings.things) refusedAll(run);
  else if (!run.stop.aborted && now - h.lastUpMs > run.settings.giveUpAfterMs) giveUp(run);
}

function giveUp(run: RunState): void {
  const { host, port } = run.opts;
  const lastError = run.health.lastConnError;
  run.log.error({ host, port, lastError }, 'giving up: the broker cannot be reached');
  run.halt('gave-up', `no connection to ${host}:${port} for ${run.settings.giveUpAfterMs / 1000} s${lastError ? ` (last error: ${lastError})` : ''}`);
}

function refusedAll(run: RunState): void {
  const { host, port } = run.opts;
  const lastError = run.health.lastConnError;
  run.log.error({ host, port, lastError }, 'giving up: the broker refuses the connections');
  run.halt('gave-up', `${host}:${port}: ${lastError ?? 'the broker refused the connection'}`);
}
