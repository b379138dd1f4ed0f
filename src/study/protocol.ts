import { getNetworkGeometry } from '../networks/registry.js';
import type { TrialParameters } from './types.js';

/**
 * The study protocol: the rules that decide what a trial measures, versioned so that a study never
 * compares trials measured under different rules. Every record carries the version it was measured
 * under (`TrialRecord.protocol`); a record without the field predates versioning and is version 1.
 *
 * A change need not affect every trial. Each change says which trials it affects; a record of version
 * v is then valid under every version between the last change up to v that affects its trial and the
 * next change that does. A U-Net record of version 1 is valid under version 2, since version 2's rule
 * changes nothing for a network whose output equals its input.
 */
export interface ProtocolChange {
  version: number;
  /** Commit that introduced the rule, and the rule in words. */
  commit: string;
  rule: string;
  /** Whether the change alters what this trial measures. */
  affects(parameters: TrialParameters): boolean;
}

export const PROTOCOL_CHANGES: readonly ProtocolChange[] = [
  {
    version: 2,
    commit: 'a8a484a',
    rule: 'foreground draws and foreground fractions in the region the loss sees (the network output), not the whole input patch',
    affects: (p) => {
      let output: number[];
      try {
        output = getNetworkGeometry(p.network, p.networkOptions).outputShapeFor(p.patchSize);
      } catch {
        return true; // a patch the network refuses: the trial fails, whatever the version; assume affected
      }
      return output.some((size, axis) => size !== p.patchSize[axis]);
    },
  },
];

/** The version new records are measured under. */
export const STUDY_PROTOCOL = Math.max(1, ...PROTOCOL_CHANGES.map((c) => c.version));

/** The versions, `[from, to]`, under which a trial measured under `version` would have measured the same. */
export function protocolRange(parameters: TrialParameters, version: number): [number, number] {
  let from = 1;
  let to = STUDY_PROTOCOL;
  for (const change of PROTOCOL_CHANGES) {
    if (!change.affects(parameters)) continue;
    if (change.version <= version) from = Math.max(from, change.version);
    else to = Math.min(to, change.version - 1);
  }
  return [from, to];
}

/** A record's protocol version: its field, or 1 for records that predate the field. */
export function recordProtocol(record: { protocol?: number }): number {
  return record.protocol ?? 1;
}

export interface ProtocolMember {
  /** How the error names it: a record's path, or a trial about to run. */
  name: string;
  parameters: TrialParameters;
  version: number;
}

/**
 * Checks that one protocol version fits every member (records, and trials about to run under
 * `STUDY_PROTOCOL`). Returns undefined when it does, else the problem in words, naming the members of
 * each incompatible group (members valid under every version are not named).
 */
export function protocolMix(members: readonly ProtocolMember[]): string | undefined {
  let from = 1;
  let to = STUDY_PROTOCOL;
  const groups = new Map<string, string[]>();
  for (const m of members) {
    const [a, b] = protocolRange(m.parameters, m.version);
    from = Math.max(from, a);
    to = Math.min(to, b);
    if (a === 1 && b === STUDY_PROTOCOL) continue;
    const key = a === b ? `valid only under protocol ${a}` : `valid under protocols ${a}-${b}`;
    groups.set(key, [...(groups.get(key) ?? []), m.name]);
  }
  if (from <= to) return undefined;
  const parts = [...groups].map(([key, names]) => `${names.length} ${key}:\n${names.map((n) => `    ${n}`).join('\n')}`);
  const changes = PROTOCOL_CHANGES.map((c) => `version ${c.version} (${c.commit}): ${c.rule}`).join('; ');
  return `no protocol version fits every trial (${changes})\n  ${parts.join('\n  ')}`;
}
