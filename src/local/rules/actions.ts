import { HTTP_ACTION_TIMEOUT_MS } from '../../aws/limits.js';
import type { Env } from './evaluate.js';
import type { RuleAction } from './definition.js';
import type { FileSinks } from './sinks.js';
import { renderTemplate } from './template.js';

/**
 * Runs one rule action with a rule's result, the way AWS IoT's actions deliver it, into local sinks:
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-rule-actions.html
 * A failure throws ActionFailure, which the executor reports to the rule's errorAction.
 */

export interface ActionDeps {
  sinks: FileSinks;
  /** publish through the broker as the service (subscribers' policies apply) */
  publish: (msg: { topic: string; payload: Buffer; qos: 0 | 1 }) => Promise<void>;
  /** an HTTP POST; default: fetch */
  post?: (url: string, init: { headers: Record<string, string>; body: Buffer; signal: AbortSignal }) => Promise<{ status: number }>;
}

/** https://docs.aws.amazon.com/iot/latest/developerguide/rule-error-handling.html: the names used in an error message's `failures`. */
const ACTION_NAMES: Record<RuleAction['type'], string> = {
  republish: 'RepublishAction',
  s3: 'S3Action',
  firehose: 'FirehoseAction',
  kinesis: 'KinesisAction',
  http: 'HttpAction',
  unsupported: 'UnsupportedAction',
};

export class ActionFailure extends Error {
  constructor(
    readonly failedAction: string,
    readonly failedResource: string,
    message: string,
  ) {
    super(message);
  }
}


const defaultPost: NonNullable<ActionDeps['post']> = async (url, init) => {
  const res = await fetch(url, { method: 'POST', headers: init.headers, body: init.body, signal: init.signal });
  await res.arrayBuffer().catch(() => undefined);
  return { status: res.status };
};

/**
 * Delivers `bytes` (the SELECT result; `isJson` tells its content type) for one action; resolves
 * with the resource it delivered to (bucket, stream, topic or URL; '' for an action not run).
 */
export async function runAction(action: RuleAction, bytes: Buffer, isJson: boolean, env: Env, deps: ActionDeps): Promise<string> {
  const name = ACTION_NAMES[action.type];
  let resource = '';
  try {
    switch (action.type) {
      case 'republish': {
        // "$$" targets a reserved topic: $$aws/things/t/shadow/update is published to $aws/things/t/shadow/update
        const topic = renderTemplate(action.topic, env).replace(/^\$\$/, '$');
        resource = topic;
        await deps.publish({ topic, payload: bytes, qos: action.qos });
        return resource;
      }
      case 's3': {
        const bucket = renderTemplate(action.bucketName, env);
        resource = bucket;
        await deps.sinks.putObject(bucket, renderTemplate(action.key, env), bytes);
        return resource;
      }
      case 'firehose': {
        const stream = renderTemplate(action.deliveryStreamName, env);
        resource = stream;
        const sep = Buffer.from(action.separator, 'utf8');
        await deps.sinks.append('firehose', stream, sep.length > 0 ? Buffer.concat([bytes, sep]) : bytes);
        return resource;
      }
      case 'kinesis': {
        const stream = renderTemplate(action.streamName, env);
        resource = stream;
        await deps.sinks.append('kinesis', stream, Buffer.concat([bytes, Buffer.from('\n')]));
        return resource;
      }
      case 'http': {
        const url = renderTemplate(action.url, env);
        resource = url;
        const headers: Record<string, string> = { 'content-type': isJson ? 'application/json' : 'application/octet-stream' };
        for (const h of action.headers) headers[h.key.toLowerCase()] = renderTemplate(h.value, env);
        const res = await (deps.post ?? defaultPost)(url, { headers, body: bytes, signal: AbortSignal.timeout(HTTP_ACTION_TIMEOUT_MS) });
        if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} from ${url}`);
        return resource;
      }
      case 'unsupported':
        // accepted so that real rule definitions load; the executor says once that it skips them
        return resource;
    }
  } catch (e) {
    throw new ActionFailure(name, resource, (e as Error).message);
  }
}
