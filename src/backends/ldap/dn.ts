/**
 * The value of a DN's first RDN, unescaped: `cn=dev\2Cops,ou=groups,...` gives `dev,ops`. Group
 * names from memberOf come from here, so no extra lookup per group is needed.
 */
export function firstRdnValue(dn: string): string {
  let i = dn.indexOf('=') + 1;
  let out = '';
  const bytes: number[] = [];
  const flush = () => {
    if (bytes.length) out += Buffer.from(bytes).toString('utf8');
    bytes.length = 0;
  };
  for (; i < dn.length; i++) {
    const ch = dn[i] as string;
    if (ch === ',' || ch === '+') break;
    if (ch !== '\\') {
      flush();
      out += ch;
      continue;
    }
    const hex = dn.slice(i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      flush();
      out += dn[i + 1] ?? '';
      i += 1;
    }
  }
  flush();
  return out.trim();
}
