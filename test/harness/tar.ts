/**
 * Minimal ustar writer: enough to build image layers and OCI archives in pure Node, so the e2e
 * harness needs neither network nor a build tool. Regular files and directories only; names
 * must fit the 100-byte ustar name field (ours are short and fixed).
 */

export interface TarEntry {
  name: string;
  data?: Buffer;
  mode?: number;
}

function octal(n: number, width: number): string {
  // Field is NUL-terminated, so width-1 digits.
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mode: number, dir: boolean): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar name too long: ${name}`);
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write(octal(mode, 8), 100);
  h.write(octal(0, 8), 108); // uid
  h.write(octal(0, 8), 116); // gid
  h.write(octal(size, 12), 124);
  // Fixed mtime keeps a layer's bytes a function of its contents only.
  h.write(octal(0, 12), 136);
  h.write('        ', 148); // checksum is computed with its own field as spaces
  h.write(dir ? '5' : '0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

/** Serialises entries in order; directories are entries whose name ends with '/'. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const dir = e.name.endsWith('/');
    const data = dir ? Buffer.alloc(0) : (e.data ?? Buffer.alloc(0));
    parts.push(header(e.name, data.length, e.mode ?? (dir ? 0o755 : 0o644), dir));
    parts.push(data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024)); // end-of-archive: two zero blocks
  return Buffer.concat(parts);
}
