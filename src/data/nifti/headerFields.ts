/**
 * The one table of NIfTI-1 and NIfTI-2 header fields (offset, type, count), shared by the reader and the
 * writer. Names are the standard's (nifti1.h, nifti2.h); fields gendice neither reads nor writes are left
 * out and stay zero when written.
 */
type FieldType = 'uint8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'char';

interface FieldLayout {
  offset: number;
  type: FieldType;
  count: number;
}

export type HeaderFieldName =
  | 'sizeof_hdr'
  | 'magic'
  | 'dim'
  | 'intent_code'
  | 'datatype'
  | 'bitpix'
  | 'pixdim'
  | 'vox_offset'
  | 'scl_slope'
  | 'scl_inter'
  | 'xyzt_units'
  | 'cal_max'
  | 'cal_min'
  | 'descrip'
  | 'qform_code'
  | 'sform_code'
  | 'quatern_b'
  | 'quatern_c'
  | 'quatern_d'
  | 'qoffset_x'
  | 'qoffset_y'
  | 'qoffset_z'
  | 'srow_x'
  | 'srow_y'
  | 'srow_z'
  | 'intent_name';

const f = (offset: number, type: FieldType, count = 1): FieldLayout => ({ offset, type, count });

const NIFTI1_FIELDS: Record<HeaderFieldName, FieldLayout> = {
  sizeof_hdr: f(0, 'int32'),
  dim: f(40, 'int16', 8),
  intent_code: f(68, 'int16'),
  datatype: f(70, 'int16'),
  bitpix: f(72, 'int16'),
  pixdim: f(76, 'float32', 8),
  vox_offset: f(108, 'float32'),
  scl_slope: f(112, 'float32'),
  scl_inter: f(116, 'float32'),
  xyzt_units: f(123, 'uint8'),
  cal_max: f(124, 'float32'),
  cal_min: f(128, 'float32'),
  descrip: f(148, 'char', 80),
  qform_code: f(252, 'int16'),
  sform_code: f(254, 'int16'),
  quatern_b: f(256, 'float32'),
  quatern_c: f(260, 'float32'),
  quatern_d: f(264, 'float32'),
  qoffset_x: f(268, 'float32'),
  qoffset_y: f(272, 'float32'),
  qoffset_z: f(276, 'float32'),
  srow_x: f(280, 'float32', 4),
  srow_y: f(296, 'float32', 4),
  srow_z: f(312, 'float32', 4),
  intent_name: f(328, 'char', 16),
  magic: f(344, 'char', 4),
};

const NIFTI2_FIELDS: Record<HeaderFieldName, FieldLayout> = {
  sizeof_hdr: f(0, 'int32'),
  magic: f(4, 'char', 8),
  datatype: f(12, 'int16'),
  bitpix: f(14, 'int16'),
  dim: f(16, 'int64', 8),
  pixdim: f(104, 'float64', 8),
  vox_offset: f(168, 'int64'),
  scl_slope: f(176, 'float64'),
  scl_inter: f(184, 'float64'),
  cal_max: f(192, 'float64'),
  cal_min: f(200, 'float64'),
  descrip: f(240, 'char', 80),
  qform_code: f(344, 'int32'),
  sform_code: f(348, 'int32'),
  quatern_b: f(352, 'float64'),
  quatern_c: f(360, 'float64'),
  quatern_d: f(368, 'float64'),
  qoffset_x: f(376, 'float64'),
  qoffset_y: f(384, 'float64'),
  qoffset_z: f(392, 'float64'),
  srow_x: f(400, 'float64', 4),
  srow_y: f(432, 'float64', 4),
  srow_z: f(464, 'float64', 4),
  xyzt_units: f(500, 'int32'),
  intent_code: f(504, 'int32'),
  intent_name: f(508, 'char', 16),
};

/** Header size (`sizeof_hdr`) and the magic bytes of a single-file (`.nii`) header, per version. */
export const HEADER_SIZE = { 1: 348, 2: 540 } as const;
export const SINGLE_FILE_MAGIC = { 1: [0x6e, 0x2b, 0x31, 0], 2: [0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a] } as const;

const WIDTH: Record<FieldType, number> = { uint8: 1, char: 1, int16: 2, int32: 4, float32: 4, int64: 8, float64: 8 };

/** Typed access to the fields of one header held in `bytes` (at offset 0), in the header's byte order. */
export class HeaderFields {
  readonly version: 1 | 2;
  readonly littleEndian: boolean;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly table: Record<HeaderFieldName, FieldLayout>;

  constructor(bytes: Uint8Array, version: 1 | 2, littleEndian: boolean) {
    if (bytes.length < HEADER_SIZE[version]) throw new RangeError(`HeaderFields: ${bytes.length} bytes cannot hold a NIfTI-${version} header`);
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE[version]);
    this.version = version;
    this.littleEndian = littleEndian;
    this.table = version === 1 ? NIFTI1_FIELDS : NIFTI2_FIELDS;
  }

  /** The field's numbers (int64 converted to the nearest double). */
  numbers(name: HeaderFieldName): number[] {
    const { offset, type, count } = this.table[name];
    return Array.from({ length: count }, (_, i) => this.read(type, offset + i * WIDTH[type]));
  }

  number(name: HeaderFieldName): number {
    const { offset, type } = this.table[name];
    return this.read(type, offset);
  }

  /** A character field up to its first NUL. */
  text(name: HeaderFieldName): string {
    const { offset, count } = this.table[name];
    const raw = this.bytes.subarray(offset, offset + count);
    const end = raw.indexOf(0);
    return String.fromCharCode(...raw.subarray(0, end < 0 ? count : end));
  }

  /** The field's raw bytes (for the magic). */
  raw(name: HeaderFieldName): Uint8Array {
    const { offset, type, count } = this.table[name];
    return this.bytes.subarray(offset, offset + count * WIDTH[type]);
  }

  set(name: HeaderFieldName, values: number | readonly number[]): void {
    const { offset, type, count } = this.table[name];
    const list = typeof values === 'number' ? [values] : values;
    if (list.length > count) throw new RangeError(`HeaderFields: ${name} holds ${count} value(s), got ${list.length}`);
    list.forEach((v, i) => this.write(type, offset + i * WIDTH[type], v));
  }

  /** Writes ASCII text, NUL-padded; the caller keeps it shorter than the field. */
  setText(name: HeaderFieldName, text: string): void {
    const { offset, count } = this.table[name];
    if (text.length > count) throw new RangeError(`HeaderFields: ${name} holds ${count} characters, got ${text.length}`);
    for (let i = 0; i < text.length; i++) this.bytes[offset + i] = text.charCodeAt(i) & 0x7f;
  }

  setRaw(name: HeaderFieldName, values: readonly number[]): void {
    this.bytes.set(values, this.table[name].offset);
  }

  private read(type: FieldType, at: number): number {
    const v = this.view;
    const le = this.littleEndian;
    switch (type) {
      case 'uint8':
      case 'char':
        return v.getUint8(at);
      case 'int16':
        return v.getInt16(at, le);
      case 'int32':
        return v.getInt32(at, le);
      case 'int64':
        return Number(v.getBigInt64(at, le));
      case 'float32':
        return v.getFloat32(at, le);
      case 'float64':
        return v.getFloat64(at, le);
    }
  }

  private write(type: FieldType, at: number, value: number): void {
    const v = this.view;
    const le = this.littleEndian;
    switch (type) {
      case 'uint8':
      case 'char':
        return v.setUint8(at, value);
      case 'int16':
        return v.setInt16(at, value, le);
      case 'int32':
        return v.setInt32(at, value, le);
      case 'int64':
        return v.setBigInt64(at, BigInt(Math.trunc(value)), le);
      case 'float32':
        return v.setFloat32(at, value, le);
      case 'float64':
        return v.setFloat64(at, value, le);
    }
  }
}

/** Version and byte order from `sizeof_hdr` (348 → NIfTI-1, 540 → NIfTI-2, in either byte order). */
export function headerKind(bytes: Uint8Array): { version: 1 | 2; littleEndian: boolean } | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const version of [1, 2] as const) {
    for (const littleEndian of [true, false]) {
      if (view.getInt32(0, littleEndian) === HEADER_SIZE[version]) return { version, littleEndian };
    }
  }
  return undefined;
}
