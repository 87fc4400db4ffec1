import type { ServerResponse } from 'node:http';

/**
 * Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html): one open
 * response per page, events written as `event: <name>\ndata: <json>\n\n`. A comment line every
 * 15 s keeps proxies from closing an idle stream.
 */

export class SseStream {
  private readonly keepAlive: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    onClose: () => void,
  ) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': elf console stream\n\n');
    this.keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    this.keepAlive.unref();
    res.on('close', () => {
      this.closed = true;
      clearInterval(this.keepAlive);
      onClose();
    });
  }

  send(event: string, data: unknown): void {
    if (this.closed) return;
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.res.end();
  }
}
