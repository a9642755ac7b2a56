/** Something that answers GET /token over HTTP: the ceiling or a Portcullis process. */
export interface Target {
  name: 'ceiling' | 'embedded' | 'postgres' | 'robot' | 'auditoff';
  /** The credentials of the measured request; default alice's password. */
  authorization?: string;
  url: string;
  pid: number | undefined;
}
