// Where samples come from, as a recipe names them: 'synthetic', one .npy/.npz file or a folder of
// them, or one .npy per model input ({input name: file}) — the form a multi-input model's Data
// step picks file by file. The helpers below let every consumer (runner, batch, evaluation hash)
// treat the three alike without re-spelling the union.
export type DataSource = string | Record<string, string>;

/** The same source with each file path passed through `f` ('synthetic' is left alone). */
export function mapSource(src: DataSource, f: (file: string) => string): DataSource {
  if (typeof src === 'string') return src === 'synthetic' ? src : f(src);
  return Object.fromEntries(Object.entries(src).map(([k, v]) => [k, f(v)]));
}

/** Every file path the source names (none for 'synthetic'). */
export function sourceFiles(src: DataSource): string[] {
  if (typeof src === 'string') return src === 'synthetic' ? [] : [src];
  return Object.keys(src)
    .sort()
    .map((k) => src[k]);
}

/** One line for reports and logs: the path, or "input: file, input: file". */
export function describeSource(src: DataSource): string {
  return typeof src === 'string' ? src : Object.entries(src).map(([k, v]) => `${k}: ${v}`).join(', ');
}
