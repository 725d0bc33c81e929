/** Messages between the page and its conversion worker. */
export interface InFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The transforms of the page: the CLI options of the same names (src/transform/options.ts). */
export interface PageTransforms {
  readonly jacobian?: boolean;
  readonly taylor?: number;
  readonly at?: number[];
  readonly prune?: number;
  readonly expand?: boolean;
}

/** The controls of the page: the CLI options of the same names. */
export interface PageOptions {
  readonly precision?: number;
  readonly inputNames?: string[];
  readonly outputNames?: string[];
  readonly maxMatrix?: number;
  readonly form: 'auto' | 'scalar' | 'tensor';
  /** --no-fold is fold: false. */
  readonly fold: boolean;
  /** --max-size in bytes (the page's default is PAGE_MAX_SIZE). */
  readonly maxSize: number;
  /** --range: the box of --taylor's bound, --prune's measurement and verify's points. */
  readonly range?: [number, number];
  readonly transforms: PageTransforms;
}

/** The page's default --max-size: a tab holds the text of every format at once, so less than the CLI's 256 MB. */
export const PAGE_MAX_SIZE = 64_000_000;

export type Request =
  | { readonly id: number; readonly kind: 'convert'; readonly files: readonly InFile[]; readonly options: PageOptions }
  /** Verify the JS text of the last conversion, as `nn2eq MODEL -f js --verify` does. */
  | { readonly id: number; readonly kind: 'verify' }
  /** `nn2eq diff old new [-f format]`, the old model's files under old/, the new one's under new/. */
  | { readonly id: number; readonly kind: 'diff'; readonly old: readonly InFile[]; readonly new: readonly InFile[]; readonly format?: string };

export type Reply =
  | { readonly id: number; readonly kind: 'model'; readonly file: string; readonly weights?: string }
  | { readonly id: number; readonly kind: 'info'; readonly text: string }
  | { readonly id: number; readonly kind: 'format'; readonly format: string; readonly extension: string; readonly text?: string; readonly error?: string; readonly warnings: readonly string[]; readonly ms: number }
  | { readonly id: number; readonly kind: 'progress'; readonly what: string; readonly done: number; readonly total: number }
  | { readonly id: number; readonly kind: 'error'; readonly error: string }
  | { readonly id: number; readonly kind: 'verify'; readonly ok: boolean; readonly text: string }
  | { readonly id: number; readonly kind: 'diff'; readonly equal: boolean; readonly text: string }
  | { readonly id: number; readonly kind: 'done'; readonly ms: number }
  /** Sent once when the worker starts: the formats it writes. */
  | { readonly id: 0; readonly kind: 'formats'; readonly formats: readonly string[] };
