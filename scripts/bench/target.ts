/** Something that answers GET /token over HTTP: the ceiling or a Portcullis process. */
export interface Target {
  name: 'ceiling' | 'embedded' | 'postgres';
  url: string;
  pid: number | undefined;
}
