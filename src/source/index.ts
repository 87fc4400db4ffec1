export type { Source, SourceItem } from './types.js';
export { checkSourceFile, fileSource, FileSource, type FileSourceOptions, type SourceFormat } from './file.js';
export { messageSource } from './message.js';
export { detectFormat, type DetectedFormat } from './detect.js';
export { DEFAULT_MAX_PAYLOAD_BYTES } from './parser.js';
