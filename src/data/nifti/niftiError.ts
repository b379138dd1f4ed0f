/**
 * A NIfTI file that cannot be read or written. `message` reads `<op>: <file>: <field>: <detail>`;
 * `file` and `field` are kept for programs that want to react to them.
 */
export class NiftiError extends Error {
  readonly file: string;
  readonly field: string;
  constructor(op: string, file: string, field: string, detail: string) {
    super(`${op}: ${file}: ${field}: ${detail}`);
    this.name = 'NiftiError';
    this.file = file;
    this.field = field;
  }
}

/** Throws the NiftiError of one file and field; readers and writers close over their op and file name. */
export type FailNifti = (field: string, detail: string) => never;

export function niftiFailer(op: string, file: string): FailNifti {
  return (field, detail) => {
    throw new NiftiError(op, file, field, detail);
  };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
