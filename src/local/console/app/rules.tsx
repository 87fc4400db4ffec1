import type { ConsoleView, SinkRows } from './types';
import { when } from './live';

/** The stand-in's topic rules: SQL, enabled, actions, what the rule engine counted per rule, and the last rows each sink received. */

function Sink({ s }: { s: SinkRows }) {
  return (
    <section class="sink" data-sink={`${s.kind}:${s.name}`}>
      <div class="bar">
        <b>{s.kind}</b> <code>{s.name}</code> <span class="muted">{s.delivered} delivered, the last {s.rows.length} shown</span>
      </div>
      <ol class="messages">
        {s.rows.map((r) => (
          <li class="row">
            <div>
              <span class="muted">
                {when(r.time)} · rule <code>{r.ruleName}</code> · {r.bytes} B
              </span>
            </div>
            <pre class="row">{r.text}</pre>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function RulesPage({ view }: { view: ConsoleView | undefined }) {
  if (!view) return <p class="muted">connecting…</p>;
  const s = view.ruleStats;
  return (
    <>
      <h2>Rules ({view.rules.length})</h2>
      <p class="muted" data-testid="rule-stats">
        {s ? `all rules: ${s.matched} matched, ${s.fired} fired, ${s.failedActions} failed actions, ${s.dropped} dropped, ${s.queued} queued` : 'the rule engine has not started'}
      </p>
      {view.rules.length === 0 && <p class="muted">No rules: elf rule create … makes one.</p>}
      <table>
        <thead>
          <tr>
            <th>rule</th>
            <th>enabled</th>
            <th>SQL</th>
            <th>actions</th>
            <th title="messages whose topic the rule matched">matched</th>
            <th title="messages whose WHERE was true and whose actions ran">fired</th>
            <th title="messages whose SQL failed to evaluate">failed</th>
            <th title="actions that failed">action errors</th>
            <th title="messages dropped on a full queue">dropped</th>
          </tr>
        </thead>
        <tbody>
          {view.rules.map((r) => (
            <tr data-rule={r.ruleName}>
              <td>
                <code>{r.ruleName}</code>
              </td>
              <td>{r.enabled ? 'yes' : 'no'}</td>
              <td>
                <code>{r.sql}</code>
              </td>
              <td>{r.actions.join(', ')}</td>
              <td data-count="matched">{r.counters?.matched ?? 0}</td>
              <td data-count="fired">{r.counters?.fired ?? 0}</td>
              <td data-count="failed">{r.counters?.failed ?? 0}</td>
              <td data-count="actionErrors">{r.counters?.actionErrors ?? 0}</td>
              <td data-count="dropped">{r.counters?.dropped ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Last rows each sink received</h3>
      {view.sinks.length === 0 && <p class="muted">No sink has received a row yet.</p>}
      {view.sinks.map((sink) => (
        <Sink key={`${sink.kind}:${sink.name}`} s={sink} />
      ))}
    </>
  );
}
