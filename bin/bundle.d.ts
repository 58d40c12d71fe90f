// Types of bin/bundle.js, a plain JS module because it runs before any TypeScript loader.
export declare const PACKAGE_ROOT: string;
export declare const BUNDLE_DIR: string;
export declare function bundleOf(entry: string, where?: { root?: string; dir?: string }): Promise<string | null>;
export declare function importEntry(entry: string): Promise<unknown>;
