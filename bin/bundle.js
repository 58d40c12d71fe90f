// Loads a TypeScript entry point of this package fast. tsx compiles and
// resolves every module through a loader thread: over a second of CPU for the
// CLI's ~140 modules at each start, and again in each worker thread of a run.
// Here the entry is bundled once with esbuild (the compiler tsx itself uses)
// into one module under node_modules/.cache/heapreplay/bundles/, with a
// manifest of the source files it holds and their size and mtime; later
// starts check the manifest (a stat per file) and import the bundle. A changed
// or removed source makes a new bundle (a new import shows up as a change in
// the file that imports it). If anything on this path fails (no esbuild, a
// read-only cache, a source esbuild rejects), the entry loads through tsx as
// before, so a syntax error still gets tsx's message.
//
// Each module's `import.meta.url` is pinned to its own source file, so the
// paths a module builds from it (the package root, the worker bootstrap, a
// schema beside a module) are the same bundled or not. Packages in
// node_modules stay outside the bundle and load as usual.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The package root: the folder above bin/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE_DIR = join(PACKAGE_ROOT, 'node_modules', '.cache', 'heapreplay', 'bundles');
/** Bumped when the way bundles are made changes, so that older ones are not reused. */
const BUNDLE_FORMAT = 1;
/** Files outside the module graph that shape a bundle: compiler settings and the compiler. */
const BUILD_FILES = ['tsconfig.json', 'package.json', 'node_modules/esbuild/package.json'];
/** A bundle replaced this long ago is removed when its entry gets a new one (a process may still be loading a recent one). */
const STALE_BUNDLE_MS = 10 * 60 * 1000;
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };

/** Where the manifest and the bundles of `entry` (a path relative to `root`) live. */
function cachePaths(entry, root, dir) {
  // The root's hash keeps apart two checkouts that share one node_modules (a symlink).
  const rootKey = createHash('sha256').update(root).digest('hex').slice(0, 8);
  const name = `${entry.replace(/\.[cm]?[jt]s$/, '').replace(/[\\/]/g, '+')}-${rootKey}`;
  return { prefix: `${name}-`, manifest: join(dir, `${name}.json`), bundle: (hash) => join(dir, `${name}-${hash}.mjs`) };
}

/** [size, mtime] of a file, or null when it is missing. */
function fileStamp(path) {
  try {
    const s = statSync(path);
    return [s.size, s.mtimeMs];
  } catch {
    return null;
  }
}

/** [-1, -1] records a file that was missing when the bundle was made (e.g. esbuild installed elsewhere). */
const MISSING = [-1, -1];

function sameStamp(now, recorded) {
  return now === null ? recorded[0] === MISSING[0] : now[0] === recorded[0] && now[1] === recorded[1];
}

/** The bundle when its manifest matches the sources on disk now; else null. */
function freshBundle(entry, root, dir) {
  const paths = cachePaths(entry, root, dir);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(paths.manifest, 'utf8'));
  } catch {
    return null;
  }
  if (manifest.format !== BUNDLE_FORMAT || manifest.node !== process.version) return null;
  for (const [file, stamp] of Object.entries(manifest.inputs)) {
    if (!sameStamp(fileStamp(join(root, file)), stamp)) return null;
  }
  const bundle = paths.bundle(manifest.hash);
  return fileStamp(bundle) !== null ? bundle : null;
}

function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Bundle `entry` with esbuild, write the bundle and its manifest; returns the bundle's path. */
async function buildBundle(entry, root, dir) {
  const esbuild = await import('esbuild');
  const inputs = {};
  for (const file of BUILD_FILES) inputs[file] = fileStamp(join(root, file)) ?? MISSING;
  const ownSources = {
    name: 'heapreplay-sources',
    setup(build) {
      build.onLoad({ filter: /\.([cm]?[jt]s|json)$/ }, (args) => {
        const rel = relative(root, args.path);
        if (rel.startsWith('..') || rel.split(sep)[0] === 'node_modules') return undefined;
        // Stamped before it is read: a file that changes after the stamp differs from it at the next start, and is bundled again.
        const stamp = fileStamp(args.path);
        if (stamp === null) throw new Error(`${args.path} vanished while bundling`);
        const text = readFileSync(args.path, 'utf8');
        inputs[rel.split(sep).join('/')] = stamp;
        const contents = text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
        return { contents, loader: LOADERS[extname(args.path)] ?? 'ts' };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [join(root, entry)],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external',
    // Class and function names stay as written (error names, messages that print them).
    keepNames: true,
    write: false,
    logLevel: 'silent',
    plugins: [ownSources],
  });
  const code = result.outputFiles[0].text;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const paths = cachePaths(entry, root, dir);
  mkdirSync(dir, { recursive: true });
  const bundle = paths.bundle(hash);
  if (fileStamp(bundle) === null) writeAtomic(bundle, code);
  writeAtomic(paths.manifest, JSON.stringify({ format: BUNDLE_FORMAT, node: process.version, hash, inputs }));
  removeStaleBundles(dir, paths.prefix, bundle);
  return bundle;
}

function removeStaleBundles(dir, prefix, keep) {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!name.startsWith(prefix) || !name.endsWith('.mjs') || path === keep) continue;
    const stamp = fileStamp(path);
    if (stamp === null || now - stamp[1] < STALE_BUNDLE_MS) continue;
    try {
      unlinkSync(path);
    } catch {
      // Another process removed it first.
    }
  }
}

/**
 * The bundle of `entry` (relative to `root`), fresh or made now; null when it
 * cannot be had, and the caller loads through tsx. HEAPREPLAY_BUNDLE=0 always
 * says null (to compare, or to rule the bundle out).
 */
export async function bundleOf(entry, { root = PACKAGE_ROOT, dir = BUNDLE_DIR } = {}) {
  if (process.env.HEAPREPLAY_BUNDLE === '0') return null;
  try {
    return freshBundle(entry, root, dir) ?? (await buildBundle(entry, root, dir));
  } catch {
    return null;
  }
}

/** Import `entry` (relative to the package root) from its bundle, or through tsx when there is none. */
export async function importEntry(entry) {
  const bundle = await bundleOf(entry);
  if (bundle !== null) {
    try {
      return await import(pathToFileURL(bundle).href);
    } catch (err) {
      // Only a bundle that vanished before loading (another process replaced it) falls back; nothing of it ran.
      if (err?.code !== 'ERR_MODULE_NOT_FOUND' || fileStamp(bundle) !== null) throw err;
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(PACKAGE_ROOT, entry)).href);
}
