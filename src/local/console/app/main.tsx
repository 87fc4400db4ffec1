import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { useLive } from './live';
import { ThingsPage } from './things';
import { TestPage } from './test-page';
import { RatePage } from './rate';
import { RulesPage } from './rules';

/** The elf console: four pages behind hash routes (#/things, #/test, #/rate, #/rules), one live stream. */
const PAGES = [
  { id: 'things', title: 'Things' },
  { id: 'test', title: 'Test' },
  { id: 'rate', title: 'Rate' },
  { id: 'rules', title: 'Rules' },
] as const;
type PageId = (typeof PAGES)[number]['id'];

function currentPage(): PageId {
  const id = location.hash.replace(/^#\/?/, '');
  return PAGES.some((p) => p.id === id) ? (id as PageId) : 'things';
}

function App() {
  const [page, setPage] = useState<PageId>(currentPage());
  useEffect(() => {
    const on = () => setPage(currentPage());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const live = useLive();
  const t = live.view?.traffic;
  return (
    <>
      <header>
        <strong>elf local</strong>
        <nav>
          {PAGES.map((p) => (
            <a href={`#/${p.id}`} class={p.id === page ? 'active' : ''}>
              {p.title}
            </a>
          ))}
        </nav>
        <span class={`status ${live.connected ? 'up' : 'down'}`} data-testid="stream-status">
          {live.connected ? 'live' : 'reconnecting'}
          {t ? ` · ${t.in.messages} in · ${t.out.messages} out` : ''}
        </span>
      </header>
      <main>
        {page === 'things' && <ThingsPage view={live.view} />}
        {page === 'test' && <TestPage />}
        {page === 'rate' && <RatePage seconds={live.seconds} />}
        {page === 'rules' && <RulesPage view={live.view} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
