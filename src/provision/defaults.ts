/** Defaults of create/clean, in a module light enough for the CLI to import before it needs the AWS SDK. */
export const DEFAULT_PREFIX = 'thing_';
export const DEFAULT_TOPIC_ROOT = 'elf';
/** things worked on at once: with AWS's 10–15 TPS per API (docs/aws-iot-facts.md#control-plane-rates) more buys nothing */
export const DEFAULT_CONCURRENCY = 10;
export const FLEET_ATTRIBUTE = 'elf_fleet';
