import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchBrowser, type TestBrowser } from '../helpers/browser.js';

/** The browser harness itself: Debian's chromium, headless, loads a page, runs its script, takes a picture. */
const PAGE = `<!doctype html><title>elf harness</title><canvas id="c" width="40" height="20"></canvas>
<p id="out">waiting</p>
<script>
  const g = document.getElementById('c').getContext('2d');
  g.fillStyle = 'rgb(255, 0, 0)';
  g.fillRect(0, 0, 40, 20);
  fetch('/data').then((r) => r.json()).then((d) => { document.getElementById('out').textContent = 'got ' + d.n; });
</script>`;

describe('browser harness', () => {
  let server: Server;
  let url: string;
  let b: TestBrowser;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/data') res.writeHead(200, { 'content-type': 'application/json' }).end('{"n":42}');
      else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    b = await launchBrowser({ group: 'browser-harness' });
  });
  afterAll(async () => {
    await b?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('loads a page, runs its script and fetches, reads a canvas pixel, saves a screenshot', async () => {
    const page = await b.open(url);
    await expect(page.title()).resolves.toBe('elf harness');
    await page.getByText('got 42').waitFor();
    // in-page code as a string: the tests' TypeScript has no DOM types
    const pixel = await page.evaluate<number[]>(`Array.from(document.getElementById('c').getContext('2d').getImageData(5, 5, 1, 1).data)`);
    expect(pixel).toEqual([255, 0, 0, 255]);
    const file = await b.screenshot(page, 'harness');
    expect((await stat(file)).size).toBeGreaterThan(100);
    expect(b.errors).toEqual([]);
  });

  it('names the missing browser instead of skipping', () => {
    expect(() => chromiumPath({ ELF_CHROMIUM: '/nonexistent/chromium' })).toThrow(/ELF_CHROMIUM=\/nonexistent\/chromium is not an executable/);
  });
});
