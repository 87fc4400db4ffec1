import { UsageError } from '../errors.js';

/** A template that fails on a message (a line without the field it reads, a bad argument): names the file or flag and field. */
export class TemplateError extends UsageError {}
