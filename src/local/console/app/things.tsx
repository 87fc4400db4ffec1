import type { ConsoleView, ThingView } from './types';
import { when } from './live';

function Json({ value }: { value: unknown }) {
  return value === undefined ? <span class="muted">–</span> : <pre>{JSON.stringify(value, null, 2)}</pre>;
}

function Thing({ t, policies }: { t: ThingView; policies: Map<string, string> }) {
  const c = t.connection;
  return (
    <details class="thing" data-thing={t.thingName}>
      <summary>
        <span class="name">{t.thingName}</span>
        <span class={`dot ${c?.connected ? 'up' : 'down'}`} title={c?.connected ? 'connected' : 'not connected'} />
        <span class="muted">{t.thingTypeName ?? ''}</span>
        <span class="attrs">
          {Object.entries(t.attributes).map(([k, v]) => (
            <code>
              {k}={v}
            </code>
          ))}
        </span>
        <span class="counts">{c ? `${c.connected ? 'connected' : 'left'} ${when(c.since)} · ${c.in.messages} in · ${c.out.messages} out` : 'never connected'}</span>
      </summary>
      <div class="grid">
        <section>
          <h4>Certificates</h4>
          {t.certificates.map((cert) => (
            <div>
              <code title={cert.certificateId}>{cert.certificateId.slice(0, 12)}…</code> <span class={`badge ${cert.status}`}>{cert.status}</span> <span class="muted">created {new Date(cert.creationDate).toLocaleString()}</span>
              {cert.policies.map((p) => (
                <details>
                  <summary>policy {p}</summary>
                  <pre>{pretty(policies.get(p))}</pre>
                </details>
              ))}
            </div>
          ))}
        </section>
        <section>
          <h4>Connection</h4>
          {c ? (
            <div>
              client id <code>{c.clientId}</code>, {c.connected ? 'connected' : 'disconnected'} since {when(c.since)}; {c.in.messages} messages in ({c.in.bytes} B), {c.out.messages} out ({c.out.bytes} B)
            </div>
          ) : (
            <span class="muted">not seen on the broker</span>
          )}
        </section>
        <section>
          <h4>Shadows</h4>
          {t.shadows.length === 0 && <span class="muted">none</span>}
          {t.shadows.map((s) => (
            <div class="shadow">
              <b>{s.name}</b> <span class="muted">v{s.version}</span>
              <div class="cols">
                <div>
                  reported <Json value={s.reported} />
                </div>
                <div>
                  desired <Json value={s.desired} />
                </div>
                <div>
                  delta <Json value={s.delta} />
                </div>
              </div>
            </div>
          ))}
        </section>
      </div>
    </details>
  );
}

function pretty(doc: string | undefined): string {
  if (doc === undefined) return '(not found)';
  try {
    return JSON.stringify(JSON.parse(doc), null, 2);
  } catch {
    return doc;
  }
}

export function ThingsPage({ view }: { view: ConsoleView | undefined }) {
  if (!view) return <p class="muted">connecting…</p>;
  const policies = new Map(view.policies.map((p) => [p.policyName, p.document]));
  return (
    <>
      <h2>Things ({view.things.length})</h2>
      {view.things.length === 0 && <p class="muted">No things yet: run elf create 3.</p>}
      {view.things.map((t) => (
        <Thing key={t.thingName} t={t} policies={policies} />
      ))}
      <h3>Other clients</h3>
      <table>
        <thead>
          <tr>
            <th>client id</th>
            <th>state</th>
            <th>since</th>
            <th>in</th>
            <th>out</th>
          </tr>
        </thead>
        <tbody>
          {view.clients.map((c) => (
            <tr>
              <td>
                <code>{c.clientId}</code>
              </td>
              <td>{c.connected ? 'connected' : 'disconnected'}</td>
              <td>{when(c.since)}</td>
              <td>{c.in.messages}</td>
              <td>{c.out.messages}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
