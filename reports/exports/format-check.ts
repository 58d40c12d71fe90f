// Shape checks for the tracker formats, as their documentation defines them.
// Used by tests on both the documented examples and our own output, so the
// exporters are held to the formats, not to themselves.

/** Problems with a github-action-benchmark `customSmallerIsBetter` document; empty when valid. */
export function checkGab(doc: unknown): string[] {
  if (!Array.isArray(doc)) return ['expected a JSON array'];
  const problems: string[] = [];
  doc.forEach((e: Record<string, unknown>, i) => {
    if (typeof e !== 'object' || e === null) return problems.push(`[${i}]: expected an object`);
    if (typeof e.name !== 'string' || !e.name) problems.push(`[${i}].name: expected a non-empty string`);
    if (typeof e.unit !== 'string') problems.push(`[${i}].unit: expected a string`);
    if (typeof e.value !== 'number' || !Number.isFinite(e.value)) problems.push(`[${i}].value: expected a finite number`);
    if (e.range !== undefined && typeof e.range !== 'string') problems.push(`[${i}].range: expected a string`);
    if (e.extra !== undefined && typeof e.extra !== 'string') problems.push(`[${i}].extra: expected a string`);
    for (const k of Object.keys(e)) if (!['name', 'unit', 'value', 'range', 'extra'].includes(k)) problems.push(`[${i}].${k}: unknown field`);
    return undefined;
  });
  const names = doc.map((e: { name?: unknown }) => e?.name);
  if (new Set(names).size !== names.length) problems.push('benchmark names must be unique');
  return problems;
}

/** Problems with a Bencher Metric Format document; empty when valid. */
export function checkBmf(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['expected a JSON object keyed by benchmark name'];
  const problems: string[] = [];
  for (const [bench, measures] of Object.entries(doc)) {
    if (typeof measures !== 'object' || measures === null) {
      problems.push(`${bench}: expected an object keyed by measure`);
      continue;
    }
    for (const [measure, metric] of Object.entries(measures as Record<string, Record<string, unknown>>)) {
      if (!/^[a-z0-9-_]+$/.test(measure)) problems.push(`${bench}.${measure}: measure must be a slug`);
      if (typeof metric?.value !== 'number' || !Number.isFinite(metric.value)) problems.push(`${bench}.${measure}.value: expected a finite number`);
      for (const bound of ['lower_value', 'upper_value']) {
        if (metric?.[bound] !== undefined && typeof metric[bound] !== 'number') problems.push(`${bench}.${measure}.${bound}: expected a number`);
      }
      if (typeof metric?.lower_value === 'number' && metric.lower_value > (metric.value as number)) problems.push(`${bench}.${measure}: lower_value above value`);
      if (typeof metric?.upper_value === 'number' && metric.upper_value < (metric.value as number)) problems.push(`${bench}.${measure}: upper_value below value`);
      for (const k of Object.keys(metric ?? {})) if (!['value', 'lower_value', 'upper_value'].includes(k)) problems.push(`${bench}.${measure}.${k}: unknown field`);
    }
  }
  return problems;
}
