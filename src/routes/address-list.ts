import { BlockList, isIP } from 'node:net';

/** Addresses and CIDR ranges (`10.0.0.0/8`, `::1/128`, `192.0.2.7`) as one membership test. */
export function addressList(entries: readonly string[], what: string): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : isIP(address) === 4 ? 'ipv4' : undefined;
    if (!family || (bits !== undefined && !/^\d{1,3}$/.test(bits))) throw new TypeError(`${what}: "${entry}" is not an address or CIDR range`);
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
    const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
    return isIP(plain) !== 0 && list.check(plain, family);
  };
}
