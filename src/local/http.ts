import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { apiError, type ApiResponse, type ControlPlaneApi } from './api.js';

/**
 * The control plane's HTTP server: reads bodies with a size limit, hands requests to the API and
 * writes its answers. Never throws to node: every request gets an answer in AWS's error shape.
 */

/** Largest request body accepted; larger ones get 413 in AWS's error shape. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this much, an oversized body is no longer drained: the connection is closed. */
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;

function send(res: ServerResponse, r: ApiResponse, close = false): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { ...r.headers, 'content-length': Buffer.byteLength(r.body) };
  if (close) headers.connection = 'close';
  res.writeHead(r.status, headers);
  res.end(r.body);
}

/** Another handler that may take a request before the API (the console at /console); true when it did. */
export type RequestHook = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createControlPlaneServer(api: ControlPlaneApi, log: Logger, before?: RequestHook): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (before?.(req, res)) return;
    const started = process.hrtime.bigint();
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const declared = Number(req.headers['content-length'] ?? 0);
    const finish = (r: ApiResponse, close = false) => {
      send(res, r, close);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const entry = { method: req.method, url: req.url?.slice(0, 300), op: r.op, status: r.status, error: r.errorName, ms: Math.round(ms * 10) / 10 };
      if (r.cause !== undefined) log.error({ ...entry, err: r.cause }, 'request failed');
      else if (r.status >= 500) log.warn(entry, 'request answered with a server error');
      else log.debug(entry, 'request');
    };
    const tooLargeResponse = () => apiError('RequestEntityTooLargeException', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
    if (declared > MAX_DRAIN_BYTES) {
      finish(tooLargeResponse(), true);
      req.destroy();
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        if (size > MAX_DRAIN_BYTES) {
          finish(tooLargeResponse(), true);
          req.destroy();
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      /* client went away; nothing to answer */
    });
    req.on('end', () => {
      if (tooLarge) {
        finish(tooLargeResponse());
        return;
      }
      api
        .handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
        .then(
          (r) => finish(r),
          (e: unknown) => finish({ ...apiError('InternalFailureException', 'Internal failure'), cause: e }),
        );
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
