import type { ConsoleView } from './types';

/** The stand-in's topic rules: SQL, enabled, actions, and what the rule engine counted. */
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
          </tr>
        </thead>
        <tbody>
          {view.rules.map((r) => (
            <tr>
              <td>
                <code>{r.ruleName}</code>
              </td>
              <td>{r.enabled ? 'yes' : 'no'}</td>
              <td>
                <code>{r.sql}</code>
              </td>
              <td>{r.actions.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
