import { bytesPerVoxel, type NiftiDatatype, type NiftiHeaderInfo } from '../volume.js';
import { HEADER_SIZE, HeaderFields, headerKind, SINGLE_FILE_MAGIC } from './headerFields.js';
import type { FailNifti } from './niftiError.js';
import { pixdimAffine, qformAffine, sformAffine } from './transforms.js';

export const DATATYPE_CODES: Record<NiftiDatatype, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};
const UNSUPPORTED_CODES: Record<number, string> = {
  0: 'none',
  1: 'binary',
  32: 'complex64',
  128: 'rgb24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32',
};

/** What a validated header says about the volume that follows it. */
export interface ParsedHeader {
  info: NiftiHeaderInfo;
  datatype: NiftiDatatype;
  shape: number[];
  channels: number;
  spacing: number[];
  affine: number[];
  dataBytes: number;
}

function datatypeFromCode(code: number): NiftiDatatype | undefined {
  for (const [name, c] of Object.entries(DATATYPE_CODES)) if (c === code) return name as NiftiDatatype;
  return undefined;
}

function printable(bytes: Uint8Array): string {
  return JSON.stringify(String.fromCharCode(...bytes));
}

/**
 * Reads and validates the fixed header at the start of `bytes` (uncompressed): version and byte order,
 * magic, dims, datatype, vox_offset, spacing and affine. Everything is checked before any voxel is touched.
 */
export function parseHeader(bytes: Uint8Array, fail: FailNifti, maxBytes: number): ParsedHeader {
  const kind = headerKind(bytes);
  if (kind === undefined) {
    if (bytes.length < 4) fail('sizeof_hdr', `file holds only ${bytes.length} bytes, too short for a NIfTI header`);
    const v = new DataView(bytes.buffer, bytes.byteOffset, 4);
    fail('sizeof_hdr', `not a NIfTI file (sizeof_hdr is ${v.getInt32(0, true)}, expected 348 or 540)`);
  }
  const { version, littleEndian } = kind;
  const size = HEADER_SIZE[version];
  if (bytes.length < size) fail('sizeof_hdr', `truncated header: NIfTI-${version} needs ${size} bytes, file holds ${bytes.length}`);
  const h = new HeaderFields(bytes, version, littleEndian);

  const magic = h.raw('magic');
  const magic3 = String.fromCharCode(...magic.subarray(0, 3));
  if (magic3 === 'ni1' || magic3 === 'ni2') fail('magic', `'${magic3}' is a .hdr/.img pair header; only single-file .nii is supported`);
  if (!SINGLE_FILE_MAGIC[version].every((b, i) => magic[i] === b)) {
    fail('magic', `expected '${version === 1 ? 'n+1' : 'n+2'}', got ${printable(magic)}`);
  }

  const dims = h.numbers('dim');
  const voxOffset = h.number('vox_offset');
  const pixdim = h.numbers('pixdim');
  const dim0 = dims[0]!;
  if (!Number.isInteger(dim0) || dim0 < 2 || dim0 > 7) fail('dim', `dim[0] must be 2..7 (1D images are not supported), got ${dim0}`);
  const ext = (i: number): number => (i <= dim0 ? dims[i]! : 1);
  for (let i = 1; i <= dim0; i++) {
    const d = dims[i]!;
    if (!Number.isSafeInteger(d) || d < 1 || d > 2 ** 31) fail('dim', `dim[${i}] must be a positive extent, got ${d}`);
  }
  if (ext(6) > 1 || ext(7) > 1) fail('dim', `dims 6 and 7 must be 1, got [${dims.join(', ')}]`);
  if (ext(4) > 1 && ext(5) > 1) {
    fail('dim', `only one non-spatial axis may exceed 1 (channels), got dim[4] = ${ext(4)} and dim[5] = ${ext(5)}`);
  }
  const code = h.number('datatype');
  const datatype = datatypeFromCode(code);
  if (datatype === undefined) {
    const known = UNSUPPORTED_CODES[code];
    fail(
      'datatype',
      `${known !== undefined ? `datatype ${known} (${code}) is not supported` : `unknown datatype code ${code}`}; supported: uint8, int8, int16, uint16, int32, uint32, float32, float64`,
    );
  }
  const bpv = bytesPerVoxel(datatype);
  const bitpix = h.number('bitpix');
  if (bitpix !== bpv * 8) fail('bitpix', `${datatype} has ${bpv * 8} bits per voxel, header says ${bitpix}`);

  const X = ext(1);
  const Y = ext(2);
  const Z = ext(3);
  const rank = Z === 1 ? 2 : 3;
  const shape = rank === 2 ? [X, Y] : [X, Y, Z];
  const channels = ext(4) * ext(5);
  const dataBytes = X * Y * Z * channels * bpv;
  if (dataBytes > maxBytes) {
    fail('dim', `dims [${dims.slice(1, dim0 + 1).join(', ')}] of ${datatype} need ${dataBytes} bytes, more than the limit of ${maxBytes} (option maxBytes)`);
  }
  const headerEnd = size + 4;
  if (!Number.isInteger(voxOffset) || voxOffset < headerEnd || voxOffset > maxBytes) {
    fail('vox_offset', `must be an integer ≥ ${headerEnd} for a single-file NIfTI-${version}, got ${voxOffset}`);
  }

  // Spatial units: metres and microns are converted to millimetres.
  const xyztUnits = h.number('xyzt_units');
  const unitCode = xyztUnits & 7;
  const toMm = unitCode === 1 ? 1000 : unitCode === 3 ? 0.001 : 1;
  const spacing: number[] = [];
  for (let i = 1; i <= rank; i++) {
    const p = pixdim[i]!;
    if (!Number.isFinite(p) || p <= 0) fail('pixdim', `pixdim[${i}] must be a positive finite voxel size, got ${p}`);
    spacing.push(p * toMm);
  }
  const sformCode = h.number('sform_code');
  const qformCode = h.number('qform_code');
  // nibabel's preference: sform first, then qform, then diag(pixdim).
  const affine =
    sformCode > 0
      ? sformAffine([...h.numbers('srow_x'), ...h.numbers('srow_y'), ...h.numbers('srow_z')], sformCode, rank, fail)
      : qformCode > 0
        ? qformAffine(
            {
              b: h.number('quatern_b'),
              c: h.number('quatern_c'),
              d: h.number('quatern_d'),
              offset: [h.number('qoffset_x'), h.number('qoffset_y'), h.number('qoffset_z')],
              qfac: pixdim[0]! < 0 ? -1 : 1,
            },
            pixdim,
            qformCode,
            rank,
            fail,
          )
        : pixdimAffine(pixdim, rank);
  if (toMm !== 1) for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) affine[r * 4 + c]! *= toMm;

  const info: NiftiHeaderInfo = {
    version,
    littleEndian,
    storedDatatype: datatype,
    dims,
    pixdim,
    qformCode,
    sformCode,
    sclSlope: h.number('scl_slope'),
    sclInter: h.number('scl_inter'),
    xyztUnits,
    intentCode: h.number('intent_code'),
    intentName: h.text('intent_name'),
    description: h.text('descrip'),
    calMin: h.number('cal_min'),
    calMax: h.number('cal_max'),
    voxOffset,
    scalingKept: false,
  };
  return { info, datatype, shape, channels, spacing, affine, dataBytes };
}
