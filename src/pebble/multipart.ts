import { randomBytes } from 'node:crypto';
import { mediaType } from './media-type.ts';
import { PebbleProtocolError } from './errors.ts';

/**
 * multipart/form-data for the files API (canonical/pebble internals/daemon/api_files.go), done by the fetch implementation Node ships:
 * `Request` serialises a FormData, `Response#formData()` parses one. Pebble rejects boundaries
 * shorter than 32 characters, so a serialisation whose boundary is too short is re-encoded with
 * a longer one.
 */

export const MIN_BOUNDARY_LENGTH = 32;

export interface MultipartBody {
  contentType: string;
  body: Buffer;
}

export interface FilePart {
  /** Sent verbatim as the part's filename: Pebble matches it against the metadata path. */
  filename: string;
  data: Uint8Array;
}

/** The body of a files write: a `request` part with JSON metadata, then one `files` part per file. */
export async function encodeFilesWrite(metadata: unknown, files: readonly FilePart[]): Promise<MultipartBody> {
  const form = new FormData();
  form.append('request', JSON.stringify(metadata));
  for (const file of files) {
    form.append('files', new Blob([file.data], { type: 'application/octet-stream' }), file.filename);
  }
  const request = new Request('http://localhost/v1/files', { method: 'POST', body: form });
  const contentType = request.headers.get('content-type') ?? '';
  const body = Buffer.from(await request.arrayBuffer());
  const boundary = mediaType(contentType)?.params.get('boundary') ?? '';
  if (boundary.length >= MIN_BOUNDARY_LENGTH) return { contentType, body };
  return reencodeWithBoundary(metadata, files, newBoundary());
}

/** A boundary Pebble accepts: 48 random hex characters. */
export function newBoundary(): string {
  return randomBytes(24).toString('hex');
}

/**
 * The same body as encodeFilesWrite with a boundary of our choosing. Only reached on a runtime
 * whose FormData picks a short boundary; filenames are pre-checked to need no escaping.
 */
export function reencodeWithBoundary(metadata: unknown, files: readonly FilePart[], boundary: string): MultipartBody {
  const chunks: Buffer[] = [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="request"\r\nContent-Type: application/json\r\n\r\n`),
    Buffer.from(JSON.stringify(metadata)),
  ];
  for (const file of files) {
    chunks.push(
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${file.filename}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      Buffer.from(file.data),
    );
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

/** Parses a multipart/form-data body; anything unparsable is a PebbleProtocolError. */
export async function decodeMultipart(body: Buffer, contentType: string): Promise<FormData> {
  const media = mediaType(contentType);
  if (media?.essence !== 'multipart/form-data' || media.params.get('boundary') === null) {
    throw new PebbleProtocolError(`expected multipart/form-data from Pebble, got "${contentType}"`);
  }
  try {
    return await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    throw new PebbleProtocolError('Pebble sent a malformed multipart body', { cause: error });
  }
}

