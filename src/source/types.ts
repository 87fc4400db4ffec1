/**
 * What a message source yields: the contract between src/source (parsers, streamed from disk) and
 * src/publish (pacing and fan-out to things). Sources never hold more than one item's worth of a
 * file in memory.
 */
export type SourceItem =
  /** one message: the payload to publish, and the 1-based line of the file it starts on */
  | { kind: 'message'; line: number; payload: string }
  /** an input that is not sent: invalid JSON, over the payload limit, ... */
  | { kind: 'skip'; line: number; reason: string };

export interface Source {
  /** a short description for logs, e.g. the file name */
  readonly name: string;
  /** a fresh pass over the input from the start (called again to loop) */
  open(): AsyncIterable<SourceItem>;
  /**
   * Optional: the same pass as open(), in batches (in order, never empty), so that a fast consumer
   * pays one await per batch instead of one per item. The file sources implement it.
   */
  openBatches?(): AsyncIterable<SourceItem[]>;
}
