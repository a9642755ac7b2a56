import { runOk } from './proc.js';

export interface SelfSignedOptions {
  keyFile: string;
  certFile: string;
  subject: string;
  days: number;
  /** Extra `openssl req` arguments, e.g. ['-addext', 'subjectAltName=IP:127.0.0.1']. */
  extra?: string[];
}

/** A P-256 key and a self-signed certificate for it, made by the openssl binary as an operator would. */
export async function opensslSelfSigned(o: SelfSignedOptions): Promise<void> {
  await runOk('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    String(o.days),
    '-subj',
    o.subject,
    ...(o.extra ?? []),
    '-keyout',
    o.keyFile,
    '-out',
    o.certFile,
  ]);
}
