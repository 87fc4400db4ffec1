import { useEffect, useRef, useState } from 'preact/hooks';
import { pretty, when } from './live';

/**
 * Like the AWS console's MQTT test client: subscribe to a filter and watch messages arrive, publish
 * one. Both go through the broker as the console's own client (client id elf-console), under the
 * elf-console policy.
 */

interface Message {
  topic: string;
  payload: string;
  bytes: number;
  time: number;
}

const SHOWN = 200;

function Subscription({ filter, onClose }: { filter: string; onClose: () => void }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [state, setState] = useState('subscribing…');
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(false);
  pausedRef.current = paused;
  const [count, setCount] = useState(0);
  useEffect(() => {
    const es = new EventSource(`/console/messages?filter=${encodeURIComponent(filter)}`);
    es.addEventListener('subscribed', () => setState('subscribed'));
    es.addEventListener('failed', (e) => {
      setState(`refused: ${(JSON.parse((e as MessageEvent<string>).data) as { error: string }).error}`);
      es.close();
    });
    es.addEventListener('message', (e) => {
      const m = JSON.parse((e as MessageEvent<string>).data) as Message;
      setCount((n) => n + 1);
      if (!pausedRef.current) setMessages((ms) => [m, ...ms].slice(0, SHOWN));
    });
    return () => es.close();
  }, [filter]);
  return (
    <section class="subscription" data-filter={filter}>
      <div class="bar">
        <b>{filter}</b> <span class="muted" data-testid="sub-state">{state}</span> <span class="muted">{count} received</span>
        <button onClick={() => setPaused(!paused)}>{paused ? 'Resume' : 'Pause'}</button>
        <button onClick={() => setMessages([])}>Clear</button>
        <button onClick={onClose}>Unsubscribe</button>
      </div>
      <ol class="messages">
        {messages.map((m) => (
          <li class="message">
            <div>
              <code class="topic">{m.topic}</code> <span class="muted">{when(m.time)}</span> <span class="muted">{m.bytes} B</span>
            </div>
            <pre>{pretty(m.payload)}</pre>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Publish() {
  const [topic, setTopic] = useState('elf');
  const [payload, setPayload] = useState('{\n  "message": "Hello from the elf console"\n}');
  const [result, setResult] = useState('');
  const send = async (e: Event) => {
    e.preventDefault();
    const r = await fetch('/console/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic, payload, qos: 1 }) });
    const body = (await r.json()) as { error?: string };
    setResult(r.ok ? `published to ${topic} at ${new Date().toLocaleTimeString()}` : `refused: ${body.error}`);
  };
  return (
    <form class="publish" onSubmit={send}>
      <h3>Publish</h3>
      <label>
        topic <input name="pub-topic" value={topic} onInput={(e) => setTopic((e.target as HTMLInputElement).value)} />
      </label>
      <textarea name="pub-payload" rows={4} value={payload} onInput={(e) => setPayload((e.target as HTMLTextAreaElement).value)} />
      <button type="submit">Publish</button> <span class="muted" data-testid="pub-result">{result}</span>
    </form>
  );
}

export function TestPage() {
  const [filter, setFilter] = useState('elf');
  const [filters, setFilters] = useState<string[]>([]);
  return (
    <>
      <h2>Test</h2>
      <p class="muted">Subscribes and publishes through the broker as client elf-console, held to the elf-console policy like any device.</p>
      <form
        class="subscribe"
        onSubmit={(e) => {
          e.preventDefault();
          if (filter && !filters.includes(filter)) setFilters([filter, ...filters]);
        }}
      >
        <label>
          topic filter <input name="filter" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Subscribe</button>
      </form>
      <Publish />
      {filters.map((f) => (
        <Subscription key={f} filter={f} onClose={() => setFilters(filters.filter((x) => x !== f))} />
      ))}
    </>
  );
}
