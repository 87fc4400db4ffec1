/**
 * What the rule engine counts and keeps for people to look at (executor.ts, recent.ts), as plain
 * types with no imports, so the console's page (DOM TypeScript, no Node) can read them too.
 */

/** One rule's figures since the stand-in started (the console's Rules page, `elf local --metrics-port`). */
export interface RuleCounters {
  /** messages whose topic the rule's FROM matched (queued, or dropped on a full queue) */
  matched: number;
  /** messages whose WHERE was true and whose actions ran */
  fired: number;
  /** messages whose SQL failed to evaluate */
  failed: number;
  /** actions that failed */
  actionErrors: number;
  /** messages dropped because the queue was full */
  dropped: number;
}

export type SinkKind = 'republish' | 's3' | 'firehose' | 'kinesis' | 'http';

export interface SinkRow {
  ruleName: string;
  /** epoch ms of the delivery */
  time: number;
  /** the row as UTF-8 text, cut (recent.ts ROW_CHARS) */
  text: string;
  bytes: number;
}

/** The last rows one sink received. */
export interface SinkRows {
  kind: SinkKind;
  /** bucket, stream, topic or URL */
  name: string;
  /** rows delivered since the stand-in started (not only those kept) */
  delivered: number;
  /** newest first */
  rows: SinkRow[];
}
