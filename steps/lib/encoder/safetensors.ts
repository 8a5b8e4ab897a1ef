/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON
 * header mapping each tensor name to its dtype, shape and byte range, then the raw
 * little-endian data. Only F32 tensors are read or written: the weights of every
 * checkpoint we load (BERT-family encoders, peft adapters) are F32; other dtypes (e.g.
 * BERT's I64 `position_ids` buffer) are skipped, so a weight stored otherwise reads as missing.
 */
import { readFile } from 'node:fs/promises';

export interface F32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Parses a safetensors file's bytes; `source` names the file in messages. */
export function parseSafetensors(bytes: Uint8Array, source: string): Map<string, F32Tensor> {
  if (bytes.byteLength < 8) throw new Error(`${source}: not a safetensors file (${bytes.byteLength} bytes, no header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) throw new Error(`${source}: header length ${headerLength} exceeds the file size ${bytes.byteLength}`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new Error(`${source}: the safetensors header is not JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, F32Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry as HeaderEntry;
    if (dtype !== 'F32') continue;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4 || dataStart + end > bytes.byteLength) {
      throw new Error(`${source}: tensor ${name} (shape [${shape}]) has byte range ${begin}..${end}, inconsistent with its shape or the file size`);
    }
    // Copy: the file's data is not guaranteed 4-byte aligned, and callers may outlive the buffer.
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape, data });
  }
  return tensors;
}

export async function readSafetensors(path: string): Promise<Map<string, F32Tensor>> {
  return parseSafetensors(await readFile(path), path);
}

/** Serialises tensors in the given order (so equal inputs give equal bytes), as safetensors does. */
export function serializeSafetensors(tensors: ReadonlyMap<string, F32Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, { shape, data }] of tensors) {
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`tensor ${name}: shape [${shape}] holds ${count} values, got ${data.length}`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  // The data start is 8-byte aligned, as the reference writer pads the header with spaces.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const { data } of tensors.values()) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}
