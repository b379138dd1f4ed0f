/**
 * Per-structure scores as result.json reports them: the foreground classes' values (class k + 1 at
 * index k) keyed by their dataset.json label names, `class <value>` where a name is missing.
 * Non-finite values (a structure absent from every case) become null in JSON.
 */
export function scoresPerStructure(perClass: readonly number[], labelNames: ReadonlyMap<number, string> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  perClass.forEach((value, k) => {
    const name = labelNames?.get(k + 1) ?? `class ${k + 1}`;
    out[out[name] === undefined ? name : `${name} (${k + 1})`] = value;
  });
  return out;
}
