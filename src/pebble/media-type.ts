import { MIMEType } from 'node:util';

/** A Content-Type header parsed by Node's own MIME parser; undefined when it is not one. */
export function mediaType(contentType: string): MIMEType | undefined {
  try {
    return new MIMEType(contentType);
  } catch {
    return undefined;
  }
}
