/**
 * Suffixes for temp file names, unique among every process and thread writing to the same
 * folders (on this host or another): one random tag per module instance, then a counter, so a
 * busy run does not ask the OS for randomness for each of its thousands of temp files.
 */
import { randomBytes } from 'node:crypto';

const instanceTag = `${process.pid}.${randomBytes(4).toString('hex')}`;
let counter = 0;

export function uniqueSuffix(): string {
  return `${instanceTag}.${(counter++).toString(36)}`;
}
